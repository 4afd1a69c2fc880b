/**
 * `get_session_events`: a session's run as Server-Sent Events.
 */
import type { Logger } from '../../domain/logger.ts'
import {
  isFinalEvent,
  type RunEvent,
  type RunEvents,
  type RunSubscriber,
  type RunSubscription,
} from '../../domain/run-events.ts'
import type { SessionService } from '../../domain/session-service.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toSessionEvent } from '../presenters.ts'
import { createEventStream, type StreamWatch } from './event-stream.ts'

export interface SessionEventsOptions {
  sessions: SessionService
  events: RunEvents
  logger: Logger
  /** The pause between keep-alive comments while nothing happens. */
  keepAliveMs: number
  /** Told of each stream that opens (metrics). */
  watchStreams?: StreamWatch
}

/**
 * Each event's bytes on the wire, made once for all the streams that follow its session: the
 * same event object reaches every subscriber, so with N subscribers it is serialized once, not
 * N times. Dropped with the event.
 */
const encoded = new WeakMap<RunEvent, Uint8Array>()
const encoder = new TextEncoder()

/** The event as SSE, byte for byte what Hono's `writeSSE` writes (its JSON has no line breaks). */
function encodeEvent(sessionId: string, event: RunEvent): Uint8Array {
  let bytes = encoded.get(event)
  if (!bytes) {
    const wire = toSessionEvent(sessionId, event)
    bytes = encoder.encode(
      `event: ${wire.event}\ndata: ${JSON.stringify(wire.data)}\nid: ${wire.id}\n\n`,
    )
    encoded.set(event, bytes)
  }
  return bytes
}

/** What the answer's body goes to: Node's response when `@hono/node-server` serves it. */
const outgoingOf = (env: unknown): unknown =>
  typeof env === 'object' && env !== null && 'outgoing' in env ? env.outgoing : undefined

/** The handler of `get_session_events`. */
export function sessionEventsOperation(options: SessionEventsOptions): OperationHandler {
  const { sessions, events, logger, keepAliveMs, watchStreams } = options

  return operation('get_session_events', async (c) => {
    const { session_id } = c.req.valid('param')
    const lastEventId = c.req.valid('header')['Last-Event-ID']
    const owner = c.get('owner')
    if (!(await sessions.header(owner, session_id)))
      return c.json({ detail: 'Session not found' }, 404)

    let subscription: RunSubscription | undefined
    const stream = createEventStream({
      outgoing: outgoingOf(c.env),
      keepAliveMs,
      onOver: () => subscription?.close(),
      watch: watchStreams,
    })
    /** Writes `batch` in order, up to the run's final status, which ends the stream. */
    const send = (batch: RunEvent[]) => {
      const last = batch.findIndex(isFinalEvent)
      const sent = last < 0 ? batch : batch.slice(0, last + 1)
      stream.writeAll(sent.map((event) => encodeEvent(session_id, event)))
      if (last >= 0) stream.end()
    }
    const failed = (error: unknown) => {
      logger.error('event stream failed', { session_id, error: String(error) })
      stream.end()
    }
    // Until the missed events are written, what comes live waits behind them.
    let waiting: RunEvent[] | undefined = []
    let runEnded = false
    const subscriber: RunSubscriber = {
      // Called by the run as it publishes: a stream's failure must not reach the run.
      onEvent(event) {
        if (waiting) waiting.push(event)
        else if (!stream.over) {
          try {
            stream.write(encodeEvent(session_id, event))
            if (isFinalEvent(event)) stream.end()
          } catch (error) {
            failed(error)
          }
        }
      },
      onRunEnd() {
        // After the run's last event. Without its final status (its end could not be
        // stored), this ends the stream.
        if (waiting) runEnded = true
        else stream.end()
      },
    }

    try {
      subscription = await events.subscribe(session_id, lastEventId, subscriber)
    } catch (error) {
      logger.error('could not follow the session', { session_id, error: String(error) })
      stream.end()
    }
    try {
      if (subscription && !subscription.running && subscription.replay.length === 0) {
        const session = await sessions.header(owner, session_id)
        // Idle: its status, and done. (`Running` without a run here: its run is about to
        // start, and its events will come.)
        if (!session) stream.end()
        else if (session.status !== 'Running')
          send([{ id: session.lastEventId, type: 'status', status: session.status }])
      }
      if (subscription && !stream.over) {
        const live = waiting
        waiting = undefined
        send([...subscription.replay, ...live])
        if (runEnded) stream.end()
      }
    } catch (error) {
      failed(error)
    }
    return c.body(stream.body, 200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      // Also tells @hono/node-server to send the head at once, without reading ahead.
      'Transfer-Encoding': 'chunked',
    })
  })
}
