/**
 * Run events shared by every instance on one PostgreSQL database, with no broker besides it:
 * the instance running a run stores each event in `run_events` and announces it with NOTIFY;
 * every instance LISTENs and hands the events to the streams that follow the session there.
 * A notification carries the events themselves, or only their ids when they would not fit in
 * its payload (8000 bytes): those are read from the table.
 *
 * Each event carries its run's id, and is stored and announced only while its run is the
 * session's (the `sessions` row names it, and `event_fence` is below the event: a flush by
 * another instance raises it above the flushed run's own ids). The check and the insert are
 * one statement holding the session's row: an old or fenced run's late event is refused in the
 * database, so no instance's stream, and no replay, ever sees it.
 */
import { type Kysely, sql } from 'kysely'
import type { Clock } from '../../domain/clock.ts'
import type { Logger } from '../../domain/logger.ts'
import type { RunControl } from '../../domain/run-control.ts'
import {
  isFinalEvent,
  isFirstEvent,
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

/** What a notification on the events channel says, of the session `s`'s run `r`. */
type Announcement =
  | { s: string; r?: string; e: RunEvent[] }
  | { s: string; r?: string; from: number; to: number }
  | { s: string; r?: string; end: true }

/** `runId` undefined: events outside any run (a branch switch's). */
type Operation =
  | { kind: 'begin'; sessionId: string; runId: string }
  | { kind: 'event'; sessionId: string; runId: string | undefined; event: RunEvent }
  | { kind: 'end'; sessionId: string; runId: string | undefined }

/** `runId` missing: from an instance of an older release, which did not tag its events. */
type Delivery = { event: RunEvent } | { end: true; runId: string | undefined }

interface Follower {
  subscriber: RunSubscriber
  /** The id of the last event handed over: nothing at or below it is handed over again. */
  lastId: number
  /** While the subscription reads what it missed, what arrives waits here. */
  pending: Delivery[] | undefined
  /** The run followed now: the session's when it subscribed, then each that begins. */
  run: string | null
  /** Whether that run is over (its final event or end came, or it was over already). */
  over: boolean
  /** Whether its end was handed over (or needs none: it was over when the follower came). */
  endSeen: boolean
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

/**
 * Whether the follower takes the delivery, updating what it knows of the run it follows. A
 * run's events are taken until it is over; another run's only from its first event (a newer
 * run beginning: an older run's late ones never start with it) or, for an end, once the run
 * followed is over. Untagged deliveries (an older release's) are taken as before, by id.
 */
function takes(follower: Follower, delivery: Delivery): boolean {
  const runId = 'end' in delivery ? delivery.runId : delivery.event.runId
  if (runId === undefined) return true
  if (runId !== follower.run) {
    const begins = 'end' in delivery ? follower.over : isFirstEvent(delivery.event)
    if (!begins) return false
    follower.run = runId
    follower.over = false
    follower.endSeen = false
  }
  if ('end' in delivery) {
    if (follower.endSeen) return false
    follower.endSeen = true
    follower.over = true
    return true
  }
  if (follower.over) return false
  if (isFinalEvent(delivery.event)) follower.over = true
  return true
}

function toEvent(json: string, runId?: string | null): RunEvent {
  const event = JSON.parse(json) as RunEvent
  if (runId) event.runId = runId
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
      if (takes(follower, delivery)) follower.subscriber.onRunEnd()
      return
    }
    if (delivery.event.id <= follower.lastId || !takes(follower, delivery)) return
    follower.lastId = delivery.event.id
    follower.subscriber.onEvent(delivery.event)
  }

  /** The session's stored events after `after` (up to `upTo`), of its run `runId` if given. */
  const readEvents = async (
    sessionId: string,
    after: number,
    upTo = Number.MAX_SAFE_INTEGER,
    runId?: string | null,
  ) =>
    (
      await db
        .selectFrom('run_events')
        .select(['event', 'run_id'])
        .where('session_id', '=', sessionId)
        .where('id', '>', after)
        .where('id', '<=', upTo)
        .$if(runId !== undefined, (query) =>
          query.where((eb) =>
            // Rows stored by an older release name no run: they are the session's latest.
            eb.or([eb('run_id', '=', runId ?? ''), eb('run_id', 'is', null)]),
          ),
        )
        .orderBy('id')
        .execute()
    ).map((row) => toEvent(row.event, row.run_id))

  const sessionRun = (sessionId: string) =>
    db
      .selectFrom('sessions')
      .select(['status', 'run_id'])
      .where('id', '=', sessionId)
      .executeTakeFirst()

  /**
   * The session's status and run, and the events of that run after `after`, in one statement
   * (one snapshot): the events are surely those of the run the row names.
   */
  async function readSessionRun(sessionId: string, after: number) {
    const { rows } = await sql<{
      status: string
      run_id: string | null
      event: string | null
      event_run_id: string | null
    }>`
      SELECT s.status, s.run_id, e.event, e.run_id AS event_run_id
      FROM sessions AS s
      LEFT JOIN run_events AS e ON e.session_id = s.id AND e.id > ${after}
        AND (e.run_id = s.run_id OR e.run_id IS NULL)
      WHERE s.id = ${sessionId}
      ORDER BY e.id
    `.execute(db)
    const first = rows[0]
    return {
      session: first && { status: first.status, run_id: first.run_id },
      stored: rows.flatMap((row) =>
        row.event === null ? [] : [toEvent(row.event, row.event_run_id)],
      ),
    }
  }

  const onAnnouncement = (payload: string) => {
    const announcement = JSON.parse(payload) as Announcement
    const here = followers.get(announcement.s)
    if (!here || here.size === 0) return
    handleInOrder(async () => {
      const events =
        'e' in announcement
          ? announcement.e.map((event) => toEvent(JSON.stringify(event), announcement.r))
          : 'from' in announcement
            ? await readEvents(
                announcement.s,
                announcement.from - 1,
                announcement.to,
                announcement.r,
              )
            : []
      for (const follower of followers.get(announcement.s) ?? []) {
        for (const event of events) deliver(follower, { event })
        if ('end' in announcement) deliver(follower, { end: true, runId: announcement.r })
      }
    })
  }

  /** After a broken connection: what the followers missed meanwhile, from the table. */
  const catchUp = () =>
    handleInOrder(async () => {
      for (const [sessionId, here] of followers) {
        const after = Math.min(...[...here].map((follower) => follower.lastId))
        const session = await sessionRun(sessionId)
        const events = await readEvents(sessionId, after, undefined, session?.run_id ?? null)
        for (const follower of followers.get(sessionId) ?? []) {
          for (const event of events) deliver(follower, { event })
          if (session?.status !== 'Running')
            deliver(follower, { end: true, runId: session?.run_id ?? undefined })
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
            // A new run replaces the previous runs' events.
            await db
              .deleteFrom('run_events')
              .where('session_id', '=', operation.sessionId)
              .where((eb) => eb.or([eb('run_id', 'is', null), eb('run_id', '!=', operation.runId)]))
              .execute()
          } else if (operation.kind === 'end') {
            await announceEnd(operation.sessionId, operation.runId)
          } else {
            const batch = [operation.event]
            while (
              outbox[0]?.kind === 'event' &&
              outbox[0].sessionId === operation.sessionId &&
              outbox[0].runId === operation.runId &&
              batch.length < 500
            )
              batch.push((outbox.shift() as Extract<Operation, { kind: 'event' }>).event)
            await storeAndAnnounce(operation.sessionId, operation.runId, batch)
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

  /**
   * Stores the events of the session's run `runId` and announces them, in one statement (so
   * one transaction), if that run is still the session's and no flush fenced these ids off.
   * The session's row is held (FOR SHARE) until the commit: a flush or a new run's claim, which
   * update it, come wholly before or after, so no refused event is announced and no accepted
   * one after the flush's or the new run's. The events' JSON leaves the run id out: the row's
   * column and the announcement say it once.
   */
  async function storeAndAnnounce(
    sessionId: string,
    runId: string | undefined,
    events: RunEvent[],
  ): Promise<void> {
    const now = clock.now().getTime()
    const untagged = events.map(({ runId: _, ...event }) => event)
    let payload = JSON.stringify({ s: sessionId, r: runId, e: untagged } satisfies Announcement)
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      const ids = { from: events[0]?.id ?? 0, to: events.at(-1)?.id ?? 0 }
      payload = JSON.stringify({ s: sessionId, r: runId, ...ids } satisfies Announcement)
    }
    const lowest = Math.min(...events.map((event) => event.id))
    await sql`
      WITH fence AS (
        SELECT id FROM sessions
        WHERE id = ${sessionId} AND event_fence < ${lowest}
          AND (${runId ?? null}::text IS NULL OR run_id = ${runId ?? null})
        FOR SHARE
      ), stored AS (
        INSERT INTO run_events (session_id, run_id, id, event, created_at)
        SELECT fence.id, ${runId ?? null}, batch.id, batch.event, ${now}
        FROM fence,
          unnest(${events.map((event) => event.id)}::bigint[], ${untagged.map((event) => JSON.stringify(event))}::text[])
            AS batch(id, event)
        ON CONFLICT (session_id, id) DO NOTHING
        RETURNING 1
      )
      SELECT pg_notify(${EVENTS_CHANNEL}, ${payload}) FROM fence
    `.execute(db)
  }

  /** Announces the end of the run `runId`, if it is still the session's run (or of no run). */
  async function announceEnd(sessionId: string, runId: string | undefined): Promise<void> {
    const payload = JSON.stringify({ s: sessionId, r: runId, end: true } satisfies Announcement)
    await sql`
      SELECT pg_notify(${EVENTS_CHANNEL}, ${payload}) FROM sessions
      WHERE id = ${sessionId} AND (${runId ?? null}::text IS NULL OR run_id = ${runId ?? null})
    `.execute(db)
  }

  let pruner: NodeJS.Timeout | undefined

  const runEvents: PostgresRunEvents = {
    begin(sessionId, runId) {
      enqueue({ kind: 'begin', sessionId, runId })
      let ended = false
      return {
        publish(event) {
          if (!ended) enqueue({ kind: 'event', sessionId, runId, event: { ...event, runId } })
        },
        end() {
          if (ended) return
          ended = true
          enqueue({ kind: 'end', sessionId, runId })
        },
        abandon() {
          ended = true
        },
      }
    },

    endAbandoned(sessionId, runId, events) {
      for (const event of events)
        enqueue({ kind: 'event', sessionId, runId, event: { ...event, runId } })
      enqueue({ kind: 'end', sessionId, runId })
    },

    // Stored after the events before them, which stay: a stream that reads the table keeps
    // only the latest run's (see latestRun), here these. They name no run (a switch is none).
    announce(sessionId, events) {
      for (const event of events) enqueue({ kind: 'event', sessionId, runId: undefined, event })
      enqueue({ kind: 'end', sessionId, runId: undefined })
    },

    async subscribe(sessionId, lastEventId, subscriber): Promise<RunSubscription> {
      // Listening before the table is read: whatever is stored after the read is announced.
      await listener.ready()
      const follower: Follower = {
        subscriber,
        lastId: lastEventId ?? -1,
        pending: [],
        run: null,
        over: false,
        endSeen: false,
      }
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
        const { session, stored } = await readSessionRun(sessionId, lastEventId ?? -1)
        const running = session?.status === 'Running'
        follower.run = session?.run_id ?? null
        follower.over = !running
        // A run that was over already needs no end: a late one would cut a newer run short.
        follower.endSeen = !running
        const latest = latestRun(stored, running)
        // Without Last-Event-ID, a finished run's events are history: the caller sends the status.
        const replay = running || lastEventId !== undefined ? latest : []
        follower.lastId = stored.reduce((top, event) => Math.max(top, event.id), follower.lastId)
        // What arrived while reading comes after the replay, each event once, if it is of the
        // run read or of one that began since.
        const pending = follower.pending ?? []
        follower.pending = undefined
        let ended = false
        for (const delivery of pending) {
          if (!('end' in delivery) && delivery.event.id <= follower.lastId) continue
          if (!takes(follower, delivery)) continue
          if ('end' in delivery) ended = true
          else {
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
