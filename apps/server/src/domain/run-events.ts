/**
 * What happens during a session's run, as events for `get_session_events`, and how they reach
 * the streams that follow the session. The fan-out is behind {@link RunEvents} so that it can
 * move out of this process (e.g. to PostgreSQL LISTEN/NOTIFY) without touching runs or routes.
 */
import type { SessionError, SessionStatus } from '@uxmate/contract'
import type { MessageRecord } from './session-store.ts'

/** What every event has. */
interface EventBase {
  /** Increases with every event of the session, across its runs. */
  id: number
  /**
   * The run the event is of (its claim's `runId`), set by the log that publishes it: streams
   * and the events table take a run's events only while it is the session's run, so a late
   * event of an older run (flushed, or superseded) never reaches a newer one.
   */
  runId?: string
}

/** One event of a run. */
export type RunEvent = EventBase &
  (
    | {
        type: 'status'
        status: SessionStatus
        /** With `Running`: the id the run's reply will be stored with. */
        replyId?: string
      }
    | { type: 'message.delta'; text: string }
    | { type: 'message.completed'; message: MessageRecord }
    | { type: 'error'; error: SessionError }
    /**
     * The session shows another branch: its messages now end at `leafId`. Before a run's
     * `Running` (an edit, a regenerated reply), or alone with the session's status (a switch).
     */
    | { type: 'branch'; leafId: string }
    /** The run is a queued turn's, which left the queue as it started; the run's first event. */
    | { type: 'queued_turn.started'; turnId: string }
  )

/** Whether the event is the last of its run: the status it ended with. */
export const isFinalEvent = (event: RunEvent): boolean =>
  event.type === 'status' && event.status !== 'Running'

/** Whether the event is one a run begins with: nothing of the run comes before it. */
export const isFirstEvent = (event: RunEvent): boolean =>
  event.type === 'queued_turn.started' ||
  event.type === 'branch' ||
  (event.type === 'status' && event.status === 'Running')

/** The publishing end of one run's events. */
export interface RunLog {
  /** Records the event (tagged with the log's run) and hands it to every subscriber, in order. */
  publish(event: RunEvent): void
  /** The run is over; its events are kept a while for streams that reconnect. */
  end(): void
  /**
   * The run is over here, but its end is another instance's to tell (it flushed the run, or
   * may have): publishes nothing more, not even the end, where other instances follow it.
   */
  abandon(): void
}

/** What a subscriber gets of a session's events. */
export interface RunSubscriber {
  onEvent(event: RunEvent): void
  /** The run in progress ended; called after its last event. */
  onRunEnd(): void
}

export interface RunSubscription {
  /**
   * The events the subscriber missed, oldest first: those after `lastEventId` of the run in
   * progress (all of them without `lastEventId`), or of the run that ended last when
   * `lastEventId` falls within it.
   */
  replay: RunEvent[]
  /** Whether a run is in progress. */
  running: boolean
  close(): void
}

/** Publish/subscribe of run events, per session. */
export interface RunEvents {
  /** Starts the log of the session's new run `runId`, replacing the previous run's. */
  begin(sessionId: string, runId: string): RunLog
  /**
   * Follows the session: the missed events come back in `replay`, what follows goes to the
   * subscriber, including events of runs that begin later, until `close()`.
   */
  subscribe(
    sessionId: string,
    lastEventId: number | undefined,
    subscriber: RunSubscriber,
  ): RunSubscription | Promise<RunSubscription>
  /**
   * Ends the run `runId` whose instance is gone, from another instance: publishes its closing
   * `events` (the `error`, then the final `status`) to the session's followers, and ends it.
   */
  endAbandoned(sessionId: string, runId: string, events: RunEvent[]): void
  /**
   * Publishes `events`, which end with a final status, outside any run (a branch switch): to the
   * session's followers on every instance, and kept for streams that reconnect, as a run of
   * their own would be. They name no run.
   */
  announce(sessionId: string, events: RunEvent[]): void
}

/** In one process, a subscription is answered at once. */
export interface InMemoryRunEvents extends RunEvents {
  subscribe(
    sessionId: string,
    lastEventId: number | undefined,
    subscriber: RunSubscriber,
  ): RunSubscription
}

interface Channel {
  log: RunEvent[]
  running: boolean
  /** Identifies the run whose log this is, so a late call of an older run changes nothing. */
  run: object | undefined
  subscribers: Set<RunSubscriber>
  expiry: NodeJS.Timeout | undefined
  /** Whether the current run had a subscriber at any time while it went on. */
  followed: boolean
}

/**
 * At most this many events of finished runs that nobody followed while they went on are kept
 * (oldest runs dropped first): a burst of creates nobody streams must not hold `retentionMs` of
 * events. Runs that had a subscriber are kept for `retentionMs` regardless.
 */
export const MAX_UNFOLLOWED_EVENTS = 10_000

/**
 * Run events in this process's memory: each run's events are kept while it goes on and for
 * `retentionMs` after it ended, then dropped; of runs that had no subscriber while they went
 * on, only the newest `maxUnfollowedEvents` events in all are kept.
 *
 * @example
 * ```ts
 * const events = createInMemoryRunEvents({ retentionMs: 60_000 })
 * const log = events.begin(sessionId, runId)
 * log.publish({ id: 1, type: 'status', status: 'Running' })
 * ```
 */
export function createInMemoryRunEvents(options: {
  retentionMs: number
  maxUnfollowedEvents?: number
}): InMemoryRunEvents {
  const channels = new Map<string, Channel>()
  const maxUnfollowed = options.maxUnfollowedEvents ?? MAX_UNFOLLOWED_EVENTS
  /** Finished, unfollowed runs whose events are kept, oldest first, with their event counts. */
  const unfollowed = new Map<object, { sessionId: string; channel: Channel; size: number }>()
  let unfollowedEvents = 0

  const untrack = (run: object | undefined) => {
    const entry = run && unfollowed.get(run)
    if (!entry || !run) return
    unfollowed.delete(run)
    unfollowedEvents -= entry.size
  }

  const channelOf = (sessionId: string): Channel => {
    let channel = channels.get(sessionId)
    if (!channel) {
      channel = {
        log: [],
        running: false,
        run: undefined,
        subscribers: new Set(),
        expiry: undefined,
        followed: false,
      }
      channels.set(sessionId, channel)
    }
    return channel
  }

  const forgetIfUnused = (sessionId: string, channel: Channel) => {
    if (!channel.running && channel.log.length === 0 && channel.subscribers.size === 0)
      channels.delete(sessionId)
  }

  /** Forgets a finished run's events (unless a newer run of the session has begun since). */
  const drop = (sessionId: string, channel: Channel, run: object) => {
    untrack(run)
    if (channel.run !== run) return
    clearTimeout(channel.expiry)
    channel.expiry = undefined
    channel.log = []
    channel.run = undefined
    forgetIfUnused(sessionId, channel)
  }

  /** Starts the log of the session's run `runId` (none: events outside a run). */
  const open = (sessionId: string, runId: string | undefined): RunLog => {
    const channel = channelOf(sessionId)
    const run = {}
    clearTimeout(channel.expiry)
    untrack(channel.run)
    channel.expiry = undefined
    channel.log = []
    channel.running = true
    channel.run = run
    channel.followed = channel.subscribers.size > 0
    const log: RunLog = {
      publish(event) {
        if (channel.run !== run) return
        const tagged = runId === undefined ? event : { ...event, runId }
        channel.log.push(tagged)
        for (const subscriber of channel.subscribers) subscriber.onEvent(tagged)
      },
      // In one process nobody else tells this process's followers of the end.
      abandon: () => log.end(),
      end() {
        if (channel.run !== run || !channel.running) return
        channel.running = false
        for (const subscriber of channel.subscribers) subscriber.onRunEnd()
        channel.expiry = setTimeout(() => drop(sessionId, channel, run), options.retentionMs)
        // Kept events must not hold the process open at shutdown.
        channel.expiry.unref()
        if (!channel.followed) {
          unfollowed.set(run, { sessionId, channel, size: channel.log.length })
          unfollowedEvents += channel.log.length
          for (const [oldest, entry] of unfollowed) {
            if (unfollowedEvents <= maxUnfollowed) break
            drop(entry.sessionId, entry.channel, oldest)
          }
        }
      },
    }
    return log
  }

  const runEvents: InMemoryRunEvents = {
    begin: (sessionId, runId) => open(sessionId, runId),

    endAbandoned(sessionId, runId, events) {
      const log = open(sessionId, runId)
      for (const event of events) log.publish(event)
      log.end()
    },

    announce(sessionId, events) {
      const log = open(sessionId, undefined)
      for (const event of events) log.publish(event)
      log.end()
    },

    subscribe(sessionId, lastEventId, subscriber) {
      const channel = channelOf(sessionId)
      const after = lastEventId ?? -1
      // Without Last-Event-ID, a finished run's events are history: the caller sends the status.
      const replay =
        channel.running || lastEventId !== undefined
          ? channel.log.filter((event) => event.id > after)
          : []
      channel.subscribers.add(subscriber)
      if (channel.running) channel.followed = true
      return {
        replay,
        running: channel.running,
        close() {
          channel.subscribers.delete(subscriber)
          forgetIfUnused(sessionId, channel)
        },
      }
    },
  }
  return runEvents
}
