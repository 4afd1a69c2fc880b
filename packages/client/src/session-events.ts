/**
 * `streamSession`: a session's run as typed events (`get_session_events`), reconnecting with
 * `Last-Event-ID` when the connection drops, until the run has ended.
 */
import type { SessionEvent } from '@uxmate/contract'
import { answerOf, type CallContext, headerParams, type RequestOptions } from './call.ts'
import { UxmateApiError, UxmateNetworkError } from './errors.ts'
import { backoffDelay, isRetryableStatus, type RetryOptions, resolveRetry } from './retry.ts'
import { sleep } from './signals.ts'
import { readSse } from './sse.ts'

/** Options of `streamSession`. */
export interface StreamSessionOptions extends Omit<RequestOptions, 'timeoutMs'> {
  /** Resume after this event: the `id` of the last event seen, e.g. before a page reload. */
  lastEventId?: number
  /**
   * Reconnections: `retries` is how many in a row may fail (no event received in between)
   * before it gives up with `UxmateNetworkError`; back-off as for requests. Default: the
   * client's `retry`; `false` never reconnects.
   */
  retry?: Partial<RetryOptions> | false
}

const EVENT_NAMES = new Set<string>(['status', 'message.delta', 'message.completed', 'error'])

/** The stream's last event: the status a run ends with (or an idle session's status). */
const isFinal = (event: SessionEvent) => event.event === 'status' && event.data.status !== 'Running'

/**
 * Follows the session's events over SSE. Ends after the final `status` event (`Ready` or
 * `Flushed`); throws `UxmateApiError` for an error status (e.g. `404`), `UxmateNetworkError`
 * when reconnecting keeps failing, and the signal's reason when aborted.
 *
 * @example
 * ```ts
 * for await (const event of streamSessionEvents(context, id, {})) {
 *   if (event.event === 'message.delta') process.stdout.write(event.data.text)
 * }
 * ```
 */
export async function* streamSessionEvents(
  context: CallContext,
  sessionId: string,
  options: StreamSessionOptions,
): AsyncGenerator<SessionEvent, void, undefined> {
  const { signal } = options
  const retry = resolveRetry(options.retry, context.retry)
  // The stream lasts as long as the run: no deadline, and reconnection instead of retries.
  const send = context.fetchFor({ timeoutMs: false, retry: false })
  // Kept to name the request in a `UxmateNetworkError` when a stream drops for good.
  let lastRequest: Request | undefined
  const fetch =
    send &&
    ((request: Request) => {
      lastRequest = request
      return send(request)
    })
  let lastEventId = options.lastEventId
  let failures = 0
  let serverDelay: number | undefined
  let failure: unknown

  while (true) {
    signal?.throwIfAborted()
    let body: ReadableStream<Uint8Array> | undefined
    try {
      const { data, error, response } = await answerOf(
        'get_session_events',
        context.raw.GET('/sessions/{session_id}/events', {
          params: {
            path: { session_id: sessionId },
            header: {
              ...headerParams(options),
              ...(lastEventId !== undefined && { 'Last-Event-ID': lastEventId }),
            },
          },
          parseAs: 'stream',
          signal,
          headers: new Headers(options.headers),
          fetch,
        }),
      )
      if (!response.ok) {
        const apiError = new UxmateApiError('get_session_events', response, error)
        if (!isRetryableStatus(response.status)) throw apiError
        failure = apiError
      } else body = data ?? undefined
    } catch (error) {
      if (signal?.aborted || !(error instanceof UxmateNetworkError)) throw error
      failure = error
    }

    if (body) {
      try {
        for await (const message of readSse(body, lastEventId?.toString(), signal)) {
          if (message.retry !== undefined) serverDelay = message.retry
          if (!EVENT_NAMES.has(message.event)) continue
          const event = {
            event: message.event,
            id: Number(message.id),
            data: JSON.parse(message.data),
          } as SessionEvent
          if (message.id !== '') lastEventId = event.id
          failures = 0
          yield event
          if (isFinal(event)) return
        }
        signal?.throwIfAborted()
        failure = new Error('The event stream ended before the run did')
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        // A dropped connection (or garbled data): reconnect and resume after the last event.
        failure = error
      }
    }

    failures++
    if (retry === false || failures > retry.retries) {
      if (failure instanceof UxmateApiError || failure instanceof UxmateNetworkError) throw failure
      const dropped = new UxmateNetworkError(lastRequest as Request, failure)
      dropped.operationId = 'get_session_events'
      throw dropped
    }
    await sleep(serverDelay ?? backoffDelay(failures - 1, retry), signal)
  }
}
