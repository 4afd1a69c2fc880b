/**
 * A session's run as the Vercel AI SDK's UI message stream (protocol v1): SSE whose `data:`
 * lines are the SDK's chunks, ending with `data: [DONE]`. Each chunk made from one of our run
 * events carries that event's id in its `id:` line, and nothing of ours in its JSON: the SDK
 * parses chunks by their documented fields.
 */
import type { Logger } from '../../domain/logger.ts'
import type { RunEvent, RunEvents, RunSubscription } from '../../domain/run-events.ts'
import { isFinalEvent } from '../../domain/run-events.ts'
import type { SessionService } from '../../domain/session-service.ts'
import { createEventStream, type StreamWatch } from './event-stream.ts'

/** The SDK's chunks this service sends (`ai`'s `UIMessageChunk`). */
export type UiChunk =
  | { type: 'start'; messageId: string }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'data-session'; data: { id: string; name: string }; transient: true }
  | { type: 'finish'; finishReason: 'stop' }
  | { type: 'abort'; reason: string }
  | { type: 'error'; errorText: string }

const encoder = new TextEncoder()
const done = encoder.encode('data: [DONE]\n\n')

const sse = (chunk: UiChunk, id: number | undefined) =>
  encoder.encode(`${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(chunk)}\n\n`)

/** The headers of a UI message stream answer. */
export const UI_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  // Also tells @hono/node-server to send the head at once, without reading ahead.
  'Transfer-Encoding': 'chunked',
}

/**
 * Turns one run's events into chunks: `start` and `text-start` when it starts (the reply's id
 * is known then), a `text-delta` per delta, `text-end` before the end, and at the end `finish`,
 * `abort` (cancelled) or `error`. The session's id and name go out as `data-session` at the
 * start and again before the end (the agent's title then).
 */
export function createChunker() {
  let replyId: string | undefined
  let textOpen = false
  let failure: Extract<RunEvent, { type: 'error' }> | undefined
  const closeText = (): UiChunk[] => {
    if (!textOpen || !replyId) return []
    textOpen = false
    return [{ type: 'text-end', id: replyId }]
  }
  return {
    /** The chunks of `event`; the final status also needs the session's name. */
    chunks(
      event: RunEvent,
      sessionName: () => { id: string; name: string } | undefined,
    ): UiChunk[] {
      switch (event.type) {
        case 'status': {
          const named = sessionName()
          const session: UiChunk[] = named
            ? [{ type: 'data-session', data: named, transient: true }]
            : []
          if (event.status === 'Running') {
            replyId = event.replyId ?? `reply-${event.id}`
            textOpen = true
            return [
              { type: 'start', messageId: replyId },
              // The session as it starts (a new chat's name is its prompt's): a sidebar shows it.
              ...session,
              { type: 'text-start', id: replyId },
            ]
          }
          if (!failure)
            return [...closeText(), ...session, { type: 'finish', finishReason: 'stop' }]
          const { error } = failure
          return [
            ...closeText(),
            ...session,
            error.code === 'cancelled'
              ? { type: 'abort', reason: error.message }
              : { type: 'error', errorText: error.message },
          ]
        }
        case 'message.delta':
          if (!replyId || !textOpen) return []
          return [{ type: 'text-delta', id: replyId, delta: event.text }]
        case 'message.completed':
          return closeText()
        case 'error':
          failure = event
          return []
        case 'queued_turn.started':
        case 'branch':
          // The SDK's client already shows the branch it asked for (its messages up to this).
          return []
      }
    },
  }
}

/**
 * Follows the session's run as a UI message stream: the run in progress from its start (the
 * subscription's replay), then live, until its final status; a run that starts after the call
 * is followed too, so a caller subscribes first and then starts the turn. `cancel()` gives up
 * (the turn was refused); the stream's end leaves the run alone.
 *
 * @example
 * ```ts
 * const follow = await followAsUiStream({ sessionId, owner, events, sessions, logger, keepAliveMs, outgoing })
 * const turn = await startTurn()
 * if (refused(turn)) follow.cancel()
 * else return c.body(follow.body, 200, UI_STREAM_HEADERS)
 * ```
 */
export async function followAsUiStream(options: {
  sessionId: string
  owner: string
  events: RunEvents
  sessions: SessionService
  logger: Logger
  keepAliveMs: number
  /** `@hono/node-server`'s `c.env.outgoing`, when it serves the request. */
  outgoing: unknown
  /** Told of each stream that opens (metrics). */
  watchStreams?: StreamWatch
}): Promise<{ body: ReadableStream<Uint8Array>; running: boolean; cancel(): void }> {
  const { sessionId, owner, sessions, logger } = options
  let subscription: RunSubscription | undefined
  const stream = createEventStream({
    outgoing: options.outgoing,
    keepAliveMs: options.keepAliveMs,
    onOver: () => subscription?.close(),
    watch: options.watchStreams,
  })
  const chunker = createChunker()
  // Read as the run starts and when it has ended (stored before its final status is published).
  let name: { id: string; name: string } | undefined
  let pending: RunEvent[] | undefined = []
  const send = (event: RunEvent) => {
    if (stream.over) return
    const pieces = chunker.chunks(event, () => name).map((chunk) => sse(chunk, event.id))
    if (isFinalEvent(event)) {
      stream.writeAll([...pieces, done])
      stream.end()
    } else if (pieces.length > 0) stream.writeAll(pieces)
  }
  const deliver = async (event: RunEvent) => {
    if (event.type === 'status') {
      const header = await sessions.header(owner, sessionId).catch(() => undefined)
      name = header && { id: header.id, name: header.name }
    }
    send(event)
  }
  // Events are written in order: a final status waits for the name it goes with.
  let queue = Promise.resolve()
  const enqueue = (event: RunEvent) => {
    queue = queue
      .then(() => deliver(event))
      .catch((error: unknown) => {
        logger.error('UI message stream failed', { session_id: sessionId, error: String(error) })
        stream.end()
      })
  }
  subscription = await options.events.subscribe(sessionId, undefined, {
    onEvent(event) {
      if (pending) pending.push(event)
      else enqueue(event)
    },
    onRunEnd() {
      // After the run's last event: without its final status (its end could not be stored).
      queue = queue.then(() => stream.end())
    },
  })
  const replayed = [...subscription.replay, ...(pending ?? [])]
  pending = undefined
  for (const event of replayed) enqueue(event)
  return {
    body: stream.body,
    running: subscription.running,
    cancel: () => {
      subscription?.close()
      stream.end()
    },
  }
}
