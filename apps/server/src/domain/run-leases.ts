/**
 * Runs when several instances share a store: each run holds a lease that its instance renews
 * while it runs; an instance that stops renewing (it died) has its runs flushed by the others,
 * and a cancel for a run elsewhere goes to its instance through `RunControl`.
 */
import type { SessionError } from '@uxmate/contract'
import type { Clock } from './clock.ts'
import type { Logger } from './logger.ts'
import type { RunControl } from './run-control.ts'
import { isFinalEvent, type RunEvents } from './run-events.ts'
import type { SessionStore } from './session-store.ts'

/** Why a run whose instance stopped renewing its lease was flushed by another instance. */
export const LEASE_EXPIRED: SessionError = {
  code: 'interrupted',
  message: 'The server running it stopped during the run',
}

/**
 * Why an instance stopped its own run: it could not renew the run's lease within the lease, so
 * the others may have flushed it (and a newer run may have started since).
 */
export const LEASE_LOST: SessionError = {
  code: 'interrupted',
  message: 'The server running it lost its lease on the run',
}

/** What the lease keeping needs of the runs going on here (the `RunCoordinator`'s). */
export interface LocalRuns {
  /** How many runs were started here so far: a run started later than a renewal is not in it. */
  started(): number
  /**
   * The sessions of the runs going on here, each with the count it was started as and when
   * (ms, on the clock): its claim, stored with its turn, holds a lease from then.
   */
  running(): Iterable<[sessionId: string, started: number, startedAt: number]>
  /**
   * Stops a run here, which then ends `Flushed` with `error`; with `record: false` it writes
   * and publishes nothing more (its lease is lost: the session is no longer surely its).
   */
  stop(sessionId: string, error: SessionError, options?: { record: boolean }): void
}

export interface RunLeasesOptions {
  store: SessionStore
  clock: Clock
  logger: Logger
  events: RunEvents
  /** How long a run's lease holds without being renewed. */
  leaseMs: number
  /** This server instance, recorded with each run it starts. */
  instance: string
  /** Where cancels for runs of other instances go. */
  control: RunControl
  /** How long a cancel of another instance's run waits for the run to end. */
  cancelWaitMs: number
}

/**
 * Renews the leases of the runs here a few times per lease, stops those another instance
 * flushed meanwhile, flushes the runs whose lease ran out, and cancels runs of other instances.
 *
 * @example
 * ```ts
 * const leases = new RunLeases(options, coordinator)
 * leases.start()
 * await leases.cancelElsewhere(sessionId, owner)
 * ```
 */
export class RunLeases {
  readonly #options: RunLeasesOptions
  readonly #runs: LocalRuns
  #heartbeat: NodeJS.Timeout | undefined
  #reaper: NodeJS.Timeout | undefined
  /** When the last renewal that succeeded was asked for: every lease here holds from then. */
  #renewedAt: number
  /** Renewals asked for that have not answered yet. */
  #unanswered = 0

  constructor(options: RunLeasesOptions, runs: LocalRuns) {
    this.#options = options
    this.#runs = runs
    this.#renewedAt = options.clock.now().getTime()
  }

  /** Starts renewing and reaping, each on a timer that does not keep the process alive. */
  start(): void {
    const { leaseMs } = this.#options
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(1, leaseMs / 3))
    this.#heartbeat.unref()
    // A little later than the heartbeat, and never in step with the other instances.
    const reapEvery = Math.max(1, Math.round(leaseMs / 2 + Math.random() * (leaseMs / 4)))
    this.#reaper = setInterval(() => void this.flushExpiredRuns(), reapEvery)
    this.#reaper.unref()
  }

  /** Stops flushing other instances' runs: at shutdown, they are theirs or the others' to end. */
  stopReaping(): void {
    clearInterval(this.#reaper)
  }

  /** Stops renewing: once the runs here have ended. */
  stopRenewing(): void {
    clearInterval(this.#heartbeat)
  }

  async #renew(): Promise<void> {
    const { store, clock, logger, instance, leaseMs } = this.#options
    const runs = [...this.#runs.running()]
    if (runs.length === 0) return
    const before = this.#runs.started()
    const askedAt = clock.now().getTime()
    // A renewal asked earlier has not answered yet (the database unreachable, a connection
    // hanging): waiting for it must not keep the runs going past their lease.
    if (this.#unanswered > 0) this.#stopUnleased(runs)
    this.#unanswered++
    try {
      const held = new Set(await store.renewLeases(instance, new Date(askedAt + leaseMs)))
      this.#renewedAt = askedAt
      for (const [sessionId, started] of runs) {
        if (started > before || held.has(sessionId)) continue
        logger.warn('a run here was flushed by another instance; stopping it', {
          session_id: sessionId,
        })
        this.#runs.stop(sessionId, LEASE_EXPIRED)
      }
    } catch (cause) {
      logger.warn('could not renew the leases of runs', { error: String(cause) })
      this.#stopUnleased(runs)
    } finally {
      this.#unanswered--
    }
  }

  /**
   * Stops, recording nothing more of them, the runs whose lease ran out here without a renewal:
   * other instances may have flushed them, and a new run of the session begun elsewhere, which
   * a late write or event of the old run must not touch.
   */
  #stopUnleased(runs: Iterable<[sessionId: string, started: number, startedAt: number]>): void {
    const { clock, logger, leaseMs } = this.#options
    const now = clock.now().getTime()
    for (const [sessionId, , startedAt] of runs) {
      if (now < Math.max(this.#renewedAt, startedAt) + leaseMs) continue
      logger.warn('the lease of a run here ran out without a renewal; stopping it', {
        session_id: sessionId,
      })
      this.#runs.stop(sessionId, LEASE_LOST, { record: false })
    }
  }

  /** Flushes the runs whose lease ran out, and tells their followers; returns how many. */
  async flushExpiredRuns(): Promise<number> {
    const { store, clock, logger, events } = this.#options
    try {
      const flushed = await store.flushExpiredRuns(clock.now(), LEASE_EXPIRED.message)
      for (const run of flushed) {
        logger.warn('flushed a run whose server stopped renewing its lease', {
          session_id: run.sessionId,
        })
        events.endAbandoned(run.sessionId, run.runId, [
          { id: run.errorEventId, type: 'error', error: LEASE_EXPIRED },
          { id: run.statusEventId, type: 'status', status: 'Flushed' },
        ])
      }
      return flushed.length
    } catch (cause) {
      logger.warn('could not flush expired runs', { error: String(cause) })
      return 0
    }
  }

  /**
   * Asks the instance running the session's run to cancel it, and waits until the run has
   * ended (its final event arrives, or the store shows it out of `Running`), at most
   * `cancelWaitMs`. Returns false when the session has no run.
   */
  async cancelElsewhere(sessionId: string, owner: string, runId?: string): Promise<boolean> {
    const { events, store, control, cancelWaitMs } = this.#options
    const header = await store.getSessionHeader(owner, sessionId)
    if (header?.status !== 'Running') return false
    if (runId !== undefined && header.run?.runId !== runId) return false
    const deadline = Date.now() + cancelWaitMs
    let wake: (() => void) | undefined
    let ended = false
    const end = () => {
      ended = true
      wake?.()
    }
    const subscription = await events.subscribe(sessionId, undefined, {
      onEvent: (event) => isFinalEvent(event) && end(),
      onRunEnd: end,
    })
    try {
      await control.requestCancel(sessionId)
      while (!ended && Date.now() < deadline) {
        // The store has the last word: a final event may have gone by before the subscription.
        if ((await store.getSessionHeader(owner, sessionId))?.status !== 'Running') break
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now())))
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    } finally {
      subscription.close()
    }
    return true
  }
}
