/**
 * When and how long to wait before sending a request again.
 *
 * Retried: network errors, `429 Too Many Requests` and `503 Service Unavailable`, since those
 * say nothing was done and trying later may work; and a `409` with `Retry-After`, which says an
 * earlier attempt with the same `Idempotency-Key` is still being answered (a lost connection's
 * retry), so its answer will come. Everything else is the answer (a `409` without
 * `Retry-After` is a session busy with its run: waiting is the caller's decision).
 * Only requests that are safe to send twice are retried: `GET`/`HEAD` always, other methods
 * only when they carry an `Idempotency-Key`, which the `sessions` methods always mint.
 */

/** How the client retries. */
export interface RetryOptions {
  /** How many times to send a request again after the first try. Default `2`. */
  retries: number
  /** The first back-off, doubled on each retry before jitter. Default `250`. */
  minDelayMs: number
  /**
   * The longest back-off. A `Retry-After` longer than this is not waited for: the `429`/`503`
   * is returned (and thrown as a `UxmateApiError`) so the caller can decide. Default `5000`.
   */
  maxDelayMs: number
}

/** The defaults of `retry`. */
export const defaultRetry: Readonly<RetryOptions> = Object.freeze({
  retries: 2,
  minDelayMs: 250,
  maxDelayMs: 5_000,
})

/** Completes `retry` from the defaults; `false` turns retrying off. */
export function resolveRetry(
  retry: Partial<RetryOptions> | false | undefined,
  base: RetryOptions | false = defaultRetry,
): RetryOptions | false {
  if (retry === false) return false
  if (retry === undefined) return base
  return { ...(base === false ? defaultRetry : base), ...retry }
}

const retryableStatuses = new Set([429, 503])

/** Whether an answer with this status may be worth trying again. */
export const isRetryableStatus = (status: number): boolean => retryableStatuses.has(status)

/** Whether this answer may be worth trying again (see the rules at the top). */
export function isRetryableAnswer(response: Response): boolean {
  return (
    isRetryableStatus(response.status) ||
    (response.status === 409 && response.headers.has('Retry-After'))
  )
}

/** Whether sending `request` twice cannot do the work twice. */
export function isReplayable(request: Request): boolean {
  return (
    request.method === 'GET' || request.method === 'HEAD' || request.headers.has('Idempotency-Key')
  )
}

/**
 * Reads `Retry-After` (RFC 9110: delay in seconds, or an HTTP date) as milliseconds from `now`.
 * Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * The back-off before retry number `attempt` (0 for the first retry): exponential, capped at
 * `maxDelayMs`, with "equal jitter" (half fixed, half random) so that clients that failed
 * together do not come back together, while each still waits a fair share of the back-off.
 */
export function backoffDelay(attempt: number, options: RetryOptions, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt)
  return ceiling / 2 + random() * (ceiling / 2)
}

/**
 * The wait before retrying an answer, or `undefined` when it should not be retried: the
 * server's `Retry-After` when it gave one (and it fits in `maxDelayMs`), else the back-off.
 */
export function retryDelay(
  attempt: number,
  response: Response,
  options: RetryOptions,
  random = Math.random,
): number | undefined {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'))
  if (retryAfter === undefined) return backoffDelay(attempt, options, random)
  return retryAfter > options.maxDelayMs ? undefined : retryAfter
}
