/**
 * What every `sessions`/`service` method does around its openapi-fetch call: turn the per-call
 * options into request init, and turn the answer into data or a thrown `UxmateApiError`.
 */
import type { BusyPolicy, OperationId, paths } from '@uxmate/contract'
import type { Client } from 'openapi-fetch'
import { UxmateApiError, UxmateError } from './errors.ts'
import { mintIdempotencyKey } from './idempotency.ts'
import type { RetryOptions } from './retry.ts'
import type { FetchLike } from './transport.ts'

/**
 * Headers in any form `new Headers()` takes. Not `HeadersInit`: that name is DOM-only, and the
 * declarations must also compile for Node projects without the DOM lib.
 */
export type HeadersOption = ConstructorParameters<typeof Headers>[0]

/** Options every method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the call; it then rejects with the signal's `reason`, as `fetch` does. */
  signal?: AbortSignal
  /** Sent as `X-Request-Id`, echoed by the server and written to its log. */
  requestId?: string
  /** Extra headers for this call. */
  headers?: HeadersOption
  /** This call's deadline, retries included; `false` for none. Default: the client's. */
  timeoutMs?: number | false
  /** This call's retries, merged over the client's; `false` to send once. */
  retry?: Partial<RetryOptions> | false
}

/**
 * Options of the methods that change a session (create, update, rename, cancel, delete): they
 * send an `Idempotency-Key`, so the server does the work once however often a call is retried.
 */
export interface IdempotentOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key` on every attempt of this call. Default: a fresh UUID per call;
   * pass your own to make a call safe to repeat across restarts of your program (the server
   * keeps keys for 24 hours).
   */
  idempotencyKey?: string
}

/** Options of the methods that start an agent's run (`createSessionFromText`, `updateSession`). */
export interface RunOptions extends IdempotentOptions {
  /**
   * Sends `Prefer: respond-async`: the server answers `202` at once with the session `Running`
   * instead of waiting for the run. Follow up with `waitForSession`.
   */
  respondAsync?: boolean
}

/** What the methods share: the openapi-fetch client and how to send with per-call options. */
export interface CallContext {
  raw: Client<paths>
  /** The client's retry settings. */
  retry: RetryOptions | false
  /** The `fetch` for a call with these options, or `undefined` for the client's own. */
  fetchFor(options: RequestOptions): FetchLike | undefined
}

/** The openapi-fetch init (minus params and body) for a call. */
export function initFor(context: CallContext, options: IdempotentOptions, idempotent = false) {
  const headers = new Headers(options.headers)
  if (idempotent) {
    headers.set('Idempotency-Key', options.idempotencyKey ?? mintIdempotencyKey())
  }
  return { signal: options.signal, headers, fetch: context.fetchFor(options) }
}

/** The documented header parameters common to every operation. */
export function headerParams(options: RequestOptions) {
  return options.requestId === undefined ? {} : { 'X-Request-Id': options.requestId }
}

/** The header parameters of an operation that starts a run. */
/**
 * Options of the methods that take a turn on a session that may be busy (`updateSession`,
 * `regenerateSessionMessage`, `editSessionMessage`).
 */
export interface TurnOptions extends RunOptions {
  /**
   * Sent as the `on_busy` query parameter: what the turn does while the session's run is still
   * going. `reject` (the server's default) is refused with `409`; `interrupt` cancels that run
   * (keeping its partial reply) and takes the turn; `enqueue` stores the turn to run after it
   * (`202`, listed in the session's `queued_turns`; see `cancelQueuedTurn`).
   */
  onBusy?: BusyPolicy
}

/** The query of a turn: its `on_busy`, when given. */
export function turnQuery(options: TurnOptions): { on_busy?: BusyPolicy } {
  return options.onBusy ? { on_busy: options.onBusy } : {}
}

export function runHeaderParams(options: RunOptions) {
  return {
    ...headerParams(options),
    ...(options.respondAsync ? { Prefer: 'respond-async' } : {}),
  }
}

interface Answer<Data> {
  data?: Data
  error?: unknown
  response: Response
}

/** Awaits an openapi-fetch call, naming the operation in any `UxmateError` it rejects with. */
export async function answerOf<Data>(
  operationId: OperationId,
  pending: Promise<Answer<Data>>,
): Promise<Answer<Data>> {
  try {
    return await pending
  } catch (error) {
    // The transport cannot know the operation; name it here for the caller's logs.
    if (error instanceof UxmateError) error.operationId ??= operationId
    throw error
  }
}

/** Resolves with the data of a success, throws `UxmateApiError` for any other answer. */
export async function unwrap<Data>(
  operationId: OperationId,
  pending: Promise<Answer<Data>>,
): Promise<Data> {
  const answer = await answerOf(operationId, pending)
  if (!answer.response.ok) throw new UxmateApiError(operationId, answer.response, answer.error)
  return answer.data as Data
}
