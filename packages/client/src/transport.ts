/**
 * The `fetch` the openapi-fetch client is given: the caller's `fetch` plus the deadline, the
 * retries and the error kinds.
 *
 * It sits under openapi-fetch's middleware rather than being one, so that a request is retried
 * exactly as the middleware left it (headers, auth) and middleware sees one request and its final
 * answer, not each attempt. A middleware cannot resend a request anyway: by the time it hears of
 * the failure, openapi-fetch has handed the only copy of the body to `fetch`.
 */
import { UxmateNetworkError } from './errors.ts'
import {
  backoffDelay,
  isReplayable,
  isRetryableAnswer,
  type RetryOptions,
  retryDelay,
} from './retry.ts'
import { raceAbort, sleep, withDeadline } from './signals.ts'

/** A `fetch` as openapi-fetch calls it: with one `Request`. */
export type FetchLike = (request: Request) => Promise<Response>

/** What a transport does besides sending. */
export interface TransportOptions {
  /** The `fetch` that sends each attempt. */
  fetch: FetchLike
  /** The deadline of a whole call, retries and back-off included; none when `undefined`. */
  timeoutMs: number | undefined
  /** How to retry, or `false` to send once. */
  retry: RetryOptions | false
}

/**
 * Wraps `options.fetch` with a deadline and retries.
 *
 * @example
 * ```ts
 * const send = createTransport({ fetch: globalThis.fetch, timeoutMs: 10_000, retry: defaultRetry })
 * const response = await send(new Request('http://127.0.0.1:8000/health'))
 * ```
 */
export function createTransport(options: TransportOptions): FetchLike {
  const { fetch: send, timeoutMs, retry } = options
  return async function transport(request) {
    const signal = withDeadline(request.signal, timeoutMs)
    const retries = retry !== false && isReplayable(request) ? retry.retries : 0
    for (let attempt = 0; ; attempt++) {
      // Each attempt sends a copy, so the original body stays unread for the next one.
      const attemptRequest = new Request(attempt < retries ? request.clone() : request, { signal })
      let response: Response
      try {
        response = await raceAbort(send(attemptRequest), signal)
      } catch (error) {
        // An abort (the caller's or the deadline's) is not a network failure: no retry.
        if (signal.aborted) throw signal.reason
        if (retry === false || attempt >= retries) throw new UxmateNetworkError(request, error)
        await sleep(backoffDelay(attempt, retry), signal)
        continue
      }
      if (retry !== false && attempt < retries && isRetryableAnswer(response)) {
        const delay = retryDelay(attempt, response, retry)
        if (delay !== undefined) {
          // Cancel the body we drop, which frees the connection without reading it. Not awaited:
          // on a cloned (teed) response it settles only once every clone is cancelled.
          response.body?.cancel().catch(() => {})
          await sleep(delay, signal)
          continue
        }
      }
      return response
    }
  }
}
