/**
 * `get_session_events`: a session's run as Server-Sent Events.
 */
import { Hono } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { isFinalEvent, type RunEvent, type RunEvents } from '../../domain/run-events.ts'
import type { Logger } from '../../logger.ts'
import type { SessionStore } from '../../storage/session-store.ts'
import type { AppEnv } from '../app-env.ts'
import { toSessionEvent } from '../presenters.ts'
import type { Guard } from '../security/guard.ts'
import { typedJson } from '../typed-json.ts'
import type { OpenApiValidator } from '../validation/index.ts'

export interface SessionEventsRouteOptions {
  store: SessionStore
  events: RunEvents
  guard: Guard
  validator: OpenApiValidator
  logger: Logger
  /** The pause between keep-alive comments while nothing happens. */
  keepAliveMs: number
}

/**
 * Events waiting to be written, and a way to sleep until there are some (or the stream closes,
 * or the run ends, or `ms` pass).
 */
function createInbox() {
  const queue: RunEvent[] = []
  let runEnded = false
  let wake: (() => void) | undefined
  const notify = () => {
    wake?.()
    wake = undefined
  }
  return {
    queue,
    get runEnded() {
      return runEnded
    },
    push(event: RunEvent) {
      queue.push(event)
      notify()
    },
    endRun() {
      runEnded = true
      notify()
    },
    notify,
    /** Resolves `true` when woken, `false` when `ms` passed first. */
    sleep(ms: number): Promise<boolean> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined
          resolve(false)
        }, ms)
        wake = () => {
          clearTimeout(timer)
          resolve(true)
        }
      })
    },
  }
}

/**
 * Each event's bytes on the wire, made once for all the streams that follow its session: the
 * same event object reaches every subscriber, so with N subscribers it is serialized once, not
 * N times. Dropped with the event.
 */
const encoded = new WeakMap<RunEvent, Uint8Array>()
const encoder = new TextEncoder()

/** The event as SSE, byte for byte what `writeSSE` writes (its JSON has no line breaks). */
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

async function writeEvent(stream: SSEStreamingApi, sessionId: string, event: RunEvent) {
  await stream.write(encodeEvent(sessionId, event))
}

/** The route of `get_session_events`. */
export function sessionEventsRoute(options: SessionEventsRouteOptions): Hono<AppEnv> {
  const { store, events, guard, validator, logger, keepAliveMs } = options

  return new Hono<AppEnv>().get(
    '/sessions/:session_id/events',
    guard.for('get_session_events'),
    validator.for('get_session_events'),
    async (c) => {
      const { session_id } = c.req.valid('param')
      const lastEventId = c.req.valid('header')['Last-Event-ID']
      const owner = c.var.owner
      if (!(await store.getSessionHeader(owner, session_id)))
        return typedJson(c, 'get_session_events', 404, { detail: 'Session not found' })

      return streamSSE(c, async (stream) => {
        const inbox = createInbox()
        // Subscribed before the store is read again below, so no event falls in between.
        let subscription: Awaited<ReturnType<RunEvents['subscribe']>>
        try {
          subscription = await events.subscribe(session_id, lastEventId, {
            onEvent: (event) => inbox.push(event),
            onRunEnd: () => inbox.endRun(),
          })
        } catch (error) {
          logger.error('could not follow the session', { session_id, error: String(error) })
          return
        }
        let closed = false
        stream.onAbort(() => {
          closed = true
          inbox.notify()
        })
        try {
          inbox.queue.unshift(...subscription.replay)
          if (!subscription.running && subscription.replay.length === 0) {
            const session = await store.getSessionHeader(owner, session_id)
            if (!session) return
            // Idle: its status, and done. (`Running` without a run here: its run is about to
            // start, and its events will come.)
            if (session.status !== 'Running') {
              const status: RunEvent = {
                id: session.lastEventId,
                type: 'status',
                status: session.status,
              }
              await writeEvent(stream, session_id, status)
              return
            }
          }
          while (!closed) {
            const event = inbox.queue.shift()
            if (event) {
              await writeEvent(stream, session_id, event)
              if (isFinalEvent(event)) return
            } else if (inbox.runEnded) {
              // The run ended without its final status: its end could not be stored.
              return
            } else if (!(await inbox.sleep(keepAliveMs))) {
              // Comments are ignored by clients but keep proxies from closing a quiet stream.
              await stream.write(': keep-alive\n\n')
            }
          }
        } catch (error) {
          logger.error('event stream failed', { session_id, error: String(error) })
        } finally {
          subscription.close()
        }
      })
    },
  )
}
