/**
 * Run events shared by every instance on one PostgreSQL database, with no broker besides it:
 * the instance running a run stores each event in `run_events` and announces it with NOTIFY;
 * every instance LISTENs and hands the events to the streams that follow the session there.
 * A notification carries the events themselves, or only their ids when they would not fit in
 * its payload (8000 bytes): those are read from the table.
 */
import { type Kysely, sql } from 'kysely'
import type { Clock } from '../../domain/clock.ts'
import type { Logger } from '../../domain/logger.ts'
import type { RunControl } from '../../domain/run-control.ts'
import {
  isFinalEvent,
  type RunEvent,
  type RunEvents,
  type RunSubscriber,
  type RunSubscription,
} from '../../domain/run-events.ts'
import type { Database } from '../kysely/schema.ts'
import { PgListener } from './pg-listener.ts'
import type { PgPoolOptions } from './pg-pool.ts'

export const EVENTS_CHANNEL = 'uxmate_run_events'
export const CONTROL_CHANNEL = 'uxmate_run_control'

/** PostgreSQL's SQLSTATE for a row whose referenced row is gone. */
const FOREIGN_KEY_VIOLATION = '23503'

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; room is left for the envelope. */
const MAX_PAYLOAD_BYTES = 7_900

/** What a notification on the events channel says. */
type Announcement =
  | { s: string; e: RunEvent[] }
  | { s: string; from: number; to: number }
  | { s: string; end: true }

type Operation =
  | { kind: 'begin'; sessionId: string }
  | { kind: 'event'; sessionId: string; event: RunEvent }
  | { kind: 'end'; sessionId: string }

type Delivery = { event: RunEvent } | { end: true }

interface Follower {
  subscriber: RunSubscriber
  /** The id of the last event handed over: nothing at or below it is handed over again. */
  lastId: number
  /** While the subscription reads what it missed, what arrives waits here. */
  pending: Delivery[] | undefined
}

export interface PostgresRunEventsOptions extends PgPoolOptions {
  /** The store's database, for the events table. */
  db: Kysely<Database>
  logger: Logger
  clock: Clock
  /** How long a finished run's events are kept for streams that reconnect. */
  retentionMs: number
  /** Told when the LISTEN connection is opened again after it broke (metrics). */
  onListenReconnect?: () => void
}

export interface PostgresRunEvents extends RunEvents {
  /** Cancels across instances, on the same connection. */
  control: RunControl
  /** Starts listening; resolves once notifications arrive. */
  start(): Promise<void>
  /** Whether notifications arrive right now (the listening connection is up). */
  readonly listening: boolean
  /** Deletes the events of runs that ended (and of switches made) more than `retentionMs` ago. */
  prune(): Promise<void>
  close(): Promise<void>
}

/**
 * The events of the session's latest run among `stored` (oldest first): a new run's instance
 * deletes the previous run's events, but a stream may read the table just before it does. While
 * the session is `Running`, a finished run's events are never the current run's.
 */
function latestRun(stored: RunEvent[], running: boolean): RunEvent[] {
  let start = 0
  stored.forEach((event, index) => {
    if (isFinalEvent(event) && (running || index < stored.length - 1)) start = index + 1
  })
  return stored.slice(start)
}

function toEvent(json: string): RunEvent {
  const event = JSON.parse(json) as RunEvent
  // Dates travel as strings.
  if (event.type === 'message.completed')
    event.message = { ...event.message, createdAt: new Date(event.message.createdAt) }
  return event
}

/**
 * @example
 * ```ts
 * const events = createPostgresRunEvents({ connectionString, db, logger, clock, retentionMs })
 * await events.start()
 * ```
 */
export function createPostgresRunEvents(options: PostgresRunEventsOptions): PostgresRunEvents {
  const { db, logger, clock } = options
  const followers = new Map<string, Set<Follower>>()
  const cancelHandlers: Array<(sessionId: string) => void> = []

  // Announcements are handled one at a time, in order, even those that read the table.
  let inbound: Promise<void> = Promise.resolve()
  const handleInOrder = (work: () => Promise<void> | void) => {
    inbound = inbound.then(work).catch((error) => {
      logger.error('could not hand over run events', { error: String(error) })
    })
  }

  const deliver = (follower: Follower, delivery: Delivery) => {
    if (follower.pending) {
      follower.pending.push(delivery)
      return
    }
    if ('end' in delivery) {
      follower.subscriber.onRunEnd()
      return
    }
    if (delivery.event.id <= follower.lastId) return
    follower.lastId = delivery.event.id
    follower.subscriber.onEvent(delivery.event)
  }

  const readEvents = async (sessionId: string, after: number, upTo = Number.MAX_SAFE_INTEGER) =>
    (
      await db
        .selectFrom('run_events')
        .select('event')
        .where('session_id', '=', sessionId)
        .where('id', '>', after)
        .where('id', '<=', upTo)
        .orderBy('id')
        .execute()
    ).map((row) => toEvent(row.event))

  const onAnnouncement = (payload: string) => {
    const announcement = JSON.parse(payload) as Announcement
    const here = followers.get(announcement.s)
    if (!here || here.size === 0) return
    handleInOrder(async () => {
      const events =
        'e' in announcement
          ? announcement.e.map((event) => toEvent(JSON.stringify(event)))
          : 'from' in announcement
            ? await readEvents(announcement.s, announcement.from - 1, announcement.to)
            : []
      for (const follower of followers.get(announcement.s) ?? []) {
        for (const event of events) deliver(follower, { event })
        if ('end' in announcement) deliver(follower, { end: true })
      }
    })
  }

  /** After a broken connection: what the followers missed meanwhile, from the table. */
  const catchUp = () =>
    handleInOrder(async () => {
      for (const [sessionId, here] of followers) {
        const after = Math.min(...[...here].map((follower) => follower.lastId))
        const events = await readEvents(sessionId, after)
        const session = await db
          .selectFrom('sessions')
          .select('status')
          .where('id', '=', sessionId)
          .executeTakeFirst()
        for (const follower of followers.get(sessionId) ?? []) {
          for (const event of events) deliver(follower, { event })
          if (session?.status !== 'Running') deliver(follower, { end: true })
        }
      }
    })

  const listener = new PgListener({
    connectionString: options.connectionString,
    applicationName: options.applicationName,
    channels: [EVENTS_CHANNEL, CONTROL_CHANNEL],
    logger,
    onNotification(channel, payload) {
      try {
        if (channel === EVENTS_CHANNEL) onAnnouncement(payload)
        else if (channel === CONTROL_CHANNEL) {
          const { cancel } = JSON.parse(payload) as { cancel?: string }
          if (cancel) for (const handler of cancelHandlers) handler(cancel)
        }
      } catch (error) {
        logger.error('unreadable notification', { channel, error: String(error) })
      }
    },
    onReconnect: () => {
      options.onListenReconnect?.()
      void catchUp()
    },
  })

  // Outbound: one writer, so that a session's events are stored and announced in order.
  const outbox: Operation[] = []
  let writing = false
  let written: Promise<void> = Promise.resolve()
  const enqueue = (operation: Operation) => {
    outbox.push(operation)
    if (writing) return
    writing = true
    written = write()
  }

  async function write(): Promise<void> {
    try {
      // Wait a tick, so that the events published together go in one statement.
      await new Promise((resolve) => setImmediate(resolve))
      // No await between the loop's last check and `finally`: nothing can be left behind.
      while (outbox.length > 0) {
        const operation = outbox.shift() as Operation
        try {
          if (operation.kind === 'begin') {
            // A new run replaces the previous run's events.
            await db
              .deleteFrom('run_events')
              .where('session_id', '=', operation.sessionId)
              .execute()
          } else if (operation.kind === 'end') {
            await notify(EVENTS_CHANNEL, { s: operation.sessionId, end: true })
          } else {
            const batch = [operation.event]
            while (
              outbox[0]?.kind === 'event' &&
              outbox[0].sessionId === operation.sessionId &&
              batch.length < 500
            )
              batch.push((outbox.shift() as Extract<Operation, { kind: 'event' }>).event)
            await storeAndAnnounce(operation.sessionId, batch)
          }
        } catch (error) {
          // The session was deleted during its run (its events went with it): nobody follows it.
          if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) continue
          logger.error('could not publish run events', {
            session_id: operation.sessionId,
            error: String(error),
          })
        }
      }
    } finally {
      writing = false
    }
  }

  const notify = (channel: string, payload: unknown) =>
    sql`SELECT pg_notify(${channel}, ${JSON.stringify(payload)})`.execute(db)

  /** Stores the events and announces them, in one statement (so one transaction). */
  async function storeAndAnnounce(sessionId: string, events: RunEvent[]): Promise<void> {
    const now = clock.now().getTime()
    let payload = JSON.stringify({ s: sessionId, e: events } satisfies Announcement)
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      const ids = { from: events[0]?.id ?? 0, to: events.at(-1)?.id ?? 0 }
      payload = JSON.stringify({ s: sessionId, ...ids } satisfies Announcement)
    }
    const rows = events.map(
      (event) => sql`(${sessionId}, ${event.id}, ${JSON.stringify(event)}, ${now})`,
    )
    await sql`
      WITH stored AS (
        INSERT INTO run_events (session_id, id, event, created_at) VALUES ${sql.join(rows)}
        ON CONFLICT (session_id, id) DO NOTHING
        RETURNING 1
      )
      SELECT pg_notify(${EVENTS_CHANNEL}, ${payload}) FROM (SELECT COUNT(*) FROM stored) AS done
    `.execute(db)
  }

  let pruner: NodeJS.Timeout | undefined

  const runEvents: PostgresRunEvents = {
    begin(sessionId) {
      enqueue({ kind: 'begin', sessionId })
      let ended = false
      return {
        publish(event) {
          if (!ended) enqueue({ kind: 'event', sessionId, event })
        },
        end() {
          if (ended) return
          ended = true
          enqueue({ kind: 'end', sessionId })
        },
      }
    },

    endAbandoned(sessionId, events) {
      runEvents.announce(sessionId, events)
    },

    // Stored after the events before them, which stay: a stream that reads the table keeps
    // only the latest run's (see latestRun), here these.
    announce(sessionId, events) {
      for (const event of events) enqueue({ kind: 'event', sessionId, event })
      enqueue({ kind: 'end', sessionId })
    },

    async subscribe(sessionId, lastEventId, subscriber): Promise<RunSubscription> {
      // Listening before the table is read: whatever is stored after the read is announced.
      await listener.ready()
      const follower: Follower = { subscriber, lastId: lastEventId ?? -1, pending: [] }
      let here = followers.get(sessionId)
      if (!here) {
        here = new Set()
        followers.set(sessionId, here)
      }
      here.add(follower)
      const close = () => {
        here.delete(follower)
        if (here.size === 0 && followers.get(sessionId) === here) followers.delete(sessionId)
      }
      try {
        const [session, stored] = await Promise.all([
          db.selectFrom('sessions').select('status').where('id', '=', sessionId).executeTakeFirst(),
          readEvents(sessionId, lastEventId ?? -1),
        ])
        const running = session?.status === 'Running'
        const latest = latestRun(stored, running)
        // Without Last-Event-ID, a finished run's events are history: the caller sends the status.
        const replay = running || lastEventId !== undefined ? latest : []
        follower.lastId = stored.reduce((top, event) => Math.max(top, event.id), follower.lastId)
        // What arrived while reading comes after the replay, each event once.
        const pending = follower.pending ?? []
        follower.pending = undefined
        let ended = false
        for (const delivery of pending) {
          if ('end' in delivery) ended = true
          else if (delivery.event.id > follower.lastId) {
            follower.lastId = delivery.event.id
            replay.push(delivery.event)
          }
        }
        if (ended) queueMicrotask(() => subscriber.onRunEnd())
        return { replay, running: running && !ended, close }
      } catch (error) {
        close()
        throw error
      }
    },

    control: {
      async requestCancel(sessionId) {
        await notify(CONTROL_CHANNEL, { cancel: sessionId })
      },
      onCancel(handler) {
        cancelHandlers.push(handler)
      },
    },

    get listening() {
      return listener.listening
    },

    async start() {
      await listener.ready()
      const every = Math.min(Math.max(options.retentionMs, 1_000), 60_000)
      pruner = setInterval(() => {
        runEvents.prune().catch((error) => {
          logger.warn('could not prune run events', { error: String(error) })
        })
      }, every)
      pruner.unref()
    },

    async prune() {
      const cutoff = clock.now().getTime() - options.retentionMs
      await db
        .deleteFrom('run_events')
        // Each event kept its time too: a branch switch's events come long after the session's
        // last update (a switch is none), and are kept as long as a run's.
        .where('created_at', '<', cutoff)
        .where('session_id', 'in', (eb) =>
          eb
            .selectFrom('sessions')
            .select('sessions.id')
            .where('status', '!=', 'Running')
            .where('updated_at', '<', cutoff),
        )
        .execute()
    },

    async close() {
      clearInterval(pruner)
      await written
      await listener.close()
    },
  }
  return runEvents
}
