import { randomUUID } from 'node:crypto'
import type { SessionError } from '@uxmate/contract'
import { v7 as uuidv7 } from 'uuid'
import type { Agent, ConversationTurn, ReplyContext } from './agent.ts'
import { agentError } from './agent-failure.ts'
import type { Clock } from './clock.ts'
import { EVENT_ID_BLOCK, EventIds } from './event-ids.ts'
import type { Logger } from './logger.ts'
import type { RunControl } from './run-control.ts'
import type { RunEvent, RunEvents, RunLog } from './run-events.ts'
import { type LocalRuns, RunLeases } from './run-leases.ts'
import { noRunObserver, type RunObservation, type RunObserver } from './run-observer.ts'
import type {
  MessageRecord,
  ModelCall,
  RunClaim,
  SessionRecord,
  SessionStore,
} from './session-store.ts'
import { titleFromModel } from './session-title.ts'

/** A run's end as this instance recorded it: the reply it stored, if any. */
export interface RecordedRunEnd {
  reply: MessageRecord | null
  /** Turns were queued behind the run when it ended: the session's queue moves on. */
  queued: boolean
}

interface ActiveRun {
  /** The run's id, as claimed in the store. */
  runId: string
  controller: AbortController
  /** The recorded end, or `undefined` when the run's end was not recorded here. */
  done: Promise<RecordedRunEnd | undefined>
  /** Increases with each run started here: tells runs started before a lease renewal. */
  seq: number
  /** When it started (ms, on the clock): its claim's lease holds from then. */
  startedAt: number
}

export interface RunCoordinatorOptions {
  store: SessionStore
  clock: Clock
  logger: Logger
  events: RunEvents
  /** A run still going after this long is stopped and its session `Flushed` (code `timeout`). */
  runTimeoutMs: number
  /** How long the agent may take to title a new session. */
  titleTimeoutMs: number
  /** This server instance, recorded with each run it starts. */
  instance: string
  /** How long a run's lease holds without being renewed. */
  leaseMs: number
  /**
   * Set when other instances share the store: cancels for their runs go through it, and this
   * instance renews its runs' leases and flushes those of instances whose leases ran out.
   */
  control?: RunControl
  /** How long a cancel of another instance's run waits for the run to end; default 30 s. */
  cancelWaitMs?: number
  /** Who watches runs (metrics, traces); default: nobody. */
  observer?: RunObserver
}

/** How a run starts. */
export interface StartOptions {
  /**
   * The turn moved the session to another branch (an edit, a regenerated reply): the run's
   * events begin with a `branch` event naming the new active leaf.
   */
  branched?: boolean
  /** The run is a queued turn's: its events begin with a `queued_turn.started` event. */
  queuedTurnId?: string
}

/** Why a run was stopped (from outside, or by its timeout), as the abort reason. */
class StopRequest extends Error {
  /** `record`: false when the run must write and publish nothing more (its lease is lost). */
  constructor(
    readonly error: SessionError,
    readonly record = true,
  ) {
    super(error.message)
    this.name = 'StopRequest'
  }
}

const CANCELLED: SessionError = { code: 'cancelled', message: 'The run was cancelled' }
const TIMED_OUT: SessionError = { code: 'timeout', message: 'The agent took too long to answer' }
const INTERRUPTED: SessionError = {
  code: 'interrupted',
  message: 'The server stopped during the run',
}
/** An event before it gets its id (one `Omit` per member of the union). */
type NewEvent<E = RunEvent> = E extends RunEvent ? Omit<E, 'id'> : never

/**
 * Runs agents for sessions in the background, publishes what happens as run events, and records
 * how each run ends. Every run ends with the session out of `Running`: `Ready` with the reply, or
 * `Flushed` with the reason (and, when cancelled, the part of the reply written so far).
 */
export class RunCoordinator {
  readonly #runs = new Map<string, ActiveRun>()
  readonly #options: RunCoordinatorOptions
  #seq = 0
  #draining = false
  /** With other instances on the store (`control`): the leases of the runs. */
  readonly #leases: RunLeases | undefined

  constructor(options: RunCoordinatorOptions) {
    this.#options = options
    const { control } = options
    if (control) {
      control.onCancel((sessionId) => this.#stop(sessionId, CANCELLED))
      const runs: LocalRuns = {
        started: () => this.#seq,
        running: () =>
          [...this.#runs].map(([sessionId, run]) => [sessionId, run.seq, run.startedAt] as const),
        stop: (sessionId, error, options) => this.#stop(sessionId, error, options?.record),
      }
      this.#leases = new RunLeases(
        { ...options, control, cancelWaitMs: options.cancelWaitMs ?? 30_000 },
        runs,
      )
      this.#leases.start()
    }
  }

  /** The claim of a new run here, to store with the turn that starts it. */
  claim(now: Date): RunClaim {
    return {
      runId: randomUUID(),
      instance: this.#options.instance,
      leaseExpiresAt: new Date(now.getTime() + this.#options.leaseMs),
    }
  }

  /**
   * Starts the agent on a session the store has just marked `Running` (with a claim from here).
   * `reservedEventIds`: the session was stored with `reserveEventIds: EVENT_ID_BLOCK`, so its
   * `lastEventId` is the top of the run's first block; otherwise the run reserves one itself.
   */
  start(
    session: SessionRecord,
    agent: Agent,
    reservedEventIds = false,
    options: StartOptions = {},
  ): Promise<RecordedRunEnd | undefined> {
    const controller = new AbortController()
    const log = this.#options.events.begin(session.id, session.run?.runId ?? '')
    const run: ActiveRun = {
      runId: session.run?.runId ?? '',
      controller,
      done: Promise.resolve(undefined),
      seq: ++this.#seq,
      startedAt: this.#options.clock.now().getTime(),
    }
    const observer = this.#options.observer ?? noRunObserver
    run.done = observer
      .run(agent.profile.id, (watch) =>
        this.#execute(session, agent, controller, log, reservedEventIds, watch, options),
      )
      .finally(() => {
        // A new run of the session may have started already: leave that one alone.
        if (this.#runs.get(session.id) === run) this.#runs.delete(session.id)
        log.end()
      })
    this.#runs.set(session.id, run)
    return run.done
  }

  /**
   * Tells the session's followers, outside any run, that it shows another branch (a switch):
   * a `branch` event of id `branchEventId` naming its active leaf, then its status, whose id is
   * the session's `lastEventId`.
   *
   * @example
   * ```ts
   * const switched = await store.switchBranch(owner, sessionId, messageId)
   * if (typeof switched === 'object' && switched.branchEventId !== undefined)
   *   runs.announceBranch(switched.session, switched.branchEventId)
   * ```
   */
  announceBranch(session: SessionRecord, branchEventId: number): void {
    if (session.activeLeafId === null) return
    this.#options.events.announce(session.id, [
      { id: branchEventId, type: 'branch', leafId: session.activeLeafId },
      { id: session.lastEventId, type: 'status', status: session.status },
    ])
  }

  /**
   * Resolves when the session's run (if any) has ended, or after `timeoutMs`, whichever is first:
   * with the end this instance recorded, or `undefined` (no run here, not ended in time, or
   * flushed elsewhere).
   */
  async wait(sessionId: string, timeoutMs: number): Promise<RecordedRunEnd | undefined> {
    const run = this.#runs.get(sessionId)
    if (!run) return undefined
    let timer: NodeJS.Timeout | undefined
    const ended = await Promise.race([
      run.done,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    return ended
  }

  /**
   * Stops the session's run and resolves once its end is recorded: `Flushed` with code
   * `cancelled`, keeping the partial reply. A run of another instance is asked to stop through
   * `control`, and waited for up to `cancelWaitMs`. Returns whether there was a run. `runId`:
   * only that run, not one started since (an interrupt stops the run it found, never the run
   * of a turn that raced it and won).
   */
  async cancel(sessionId: string, owner: string, runId?: string): Promise<boolean> {
    const run = this.#runs.get(sessionId)
    if (run && runId !== undefined && run.runId !== runId) return false
    if (run) {
      this.#stop(sessionId, CANCELLED)
      await run.done
      return true
    }
    return (await this.#leases?.cancelElsewhere(sessionId, owner, runId)) ?? false
  }

  #stop(sessionId: string, error: SessionError, record = true): void {
    const run = this.#runs.get(sessionId)
    if (run && !run.controller.signal.aborted) run.controller.abort(new StopRequest(error, record))
  }

  /** Flushes the runs whose lease ran out (their instance died); returns how many. */
  flushExpiredRuns(): Promise<number> {
    return this.#leases?.flushExpiredRuns() ?? Promise.resolve(0)
  }

  /** Whether `drain` was called: the server is stopping, and starts no more runs of its own. */
  get draining(): boolean {
    return this.#draining
  }

  get activeCount(): number {
    return this.#runs.size
  }

  /**
   * Lets runs finish for up to `graceMs`, then stops the rest; each stopped run's session ends
   * `Flushed` with code `interrupted`. Resolves once every run has recorded its end.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true
    // Runs of other instances are theirs to end, or the remaining instances'.
    this.#leases?.stopReaping()
    try {
      await this.#drainRuns(graceMs)
    } finally {
      this.#leases?.stopRenewing()
    }
  }

  async #drainRuns(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.#runs.values()].map((run) => run.done))
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs)
    })
    const outcome = await Promise.race([all(), graceOver])
    clearTimeout(timer)
    if (outcome !== 'timeout') return
    for (const run of this.#runs.values()) {
      if (!run.controller.signal.aborted) run.controller.abort(new StopRequest(INTERRUPTED))
    }
    await all()
  }

  async #execute(
    session: SessionRecord,
    agent: Agent,
    controller: AbortController,
    log: RunLog,
    reservedEventIds: boolean,
    watch: RunObservation,
    options: StartOptions,
  ): Promise<RecordedRunEnd | undefined> {
    const { store, clock, logger, runTimeoutMs } = this.#options
    let ids: EventIds
    try {
      const runId = session.run?.runId
      ids = reservedEventIds
        ? EventIds.reserved(store, session.id, runId, session.lastEventId - EVENT_ID_BLOCK + 1)
        : await EventIds.reserve(store, session.id, runId)
    } catch (cause) {
      // The store is gone (shutting down or broken); start-up flushes the session next time.
      logger.error('could not start a run', { session_id: session.id, error: String(cause) })
      watch.ended(INTERRUPTED.code, [])
      return undefined
    }
    const publish = async (event: NewEvent) =>
      log.publish({ ...event, id: await ids.next() } as RunEvent)

    // One signal for every way the run can stop: its controller, which a timer aborts too, is
    // cheaper per run than AbortSignal.timeout and AbortSignal.any over it.
    const { signal } = controller
    const timer = setTimeout(() => {
      if (!signal.aborted) controller.abort(new StopRequest(TIMED_OUT))
    }, runTimeoutMs)
    timer.unref()
    // The messages as they are (each is a turn): no copy of a long session's every message.
    const conversation: ConversationTurn[] = session.messages
    const modelCalls: ModelCall[] = []
    const context: ReplyContext = {
      loadFile: async (file, maxBytes) => {
        const bytes = await store.readFileBytes(session.id, file.id, maxBytes)
        if (!bytes) throw new Error(`The file '${file.name}' is no longer stored`)
        return bytes
      },
      loadCompaction: () => store.getCompaction(session.id),
      saveCompaction: (note) => store.saveCompaction(session.id, note, clock.now()),
      recordCall: (call) => modelCalls.push(call),
    }
    // Titled with the first reply: the first run that answers, unless the agent cannot.
    const wantsTitle =
      agent.title !== undefined && !session.messages.some((m) => m.role === 'assistant')
    let title: Promise<string | undefined> | undefined
    let reply = ''
    // Known from the start, so that a client streaming the reply can name it before it is stored.
    const replyId = uuidv7()
    let error: SessionError | null = null
    try {
      if (options.queuedTurnId !== undefined)
        await publish({ type: 'queued_turn.started', turnId: options.queuedTurnId })
      if (options.branched && session.activeLeafId !== null)
        await publish({ type: 'branch', leafId: session.activeLeafId })
      await publish({ type: 'status', status: 'Running', replyId })
      for await (const chunk of untilAborted(agent.reply(conversation, signal, context), signal)) {
        if (chunk === '') continue
        if (reply === '') watch.firstChunk()
        reply += chunk
        await publish({ type: 'message.delta', text: chunk })
        // Asked once the reply is under way, so that a provider serving one request at a time
        // (a local model) writes the reply first, and the title is usually ready at its end.
        title ??= wantsTitle ? this.#title(agent, session, signal, context.recordCall) : undefined
      }
    } catch (cause) {
      error = describeFailure(cause, signal)
      // The run is over: stop what it started and may still be waiting for (a title request).
      if (!signal.aborted) controller.abort(cause)
      // A cancel is the user's choice, not a problem to look into.
      if (error.code === 'cancelled') logger.info('run cancelled', { session_id: session.id })
      // The provider's own words (its answer, the address it was reached at) are for the
      // operator only: the session shows a fixed message for the kind of failure.
      else
        logger.warn('run failed', {
          session_id: session.id,
          run_id: session.run?.runId,
          code: error.code,
          error: String(cause),
          ...(cause instanceof Error &&
            cause.cause !== undefined && { cause: String(cause.cause) }),
        })
    }
    // A title cut short by a stop is simply not used: the reply itself is complete.
    const name = error ? undefined : await title
    clearTimeout(timer)
    // Its lease lost: the session may be another run's by now. Nothing more of this one, not
    // even its end: the instance that flushes it tells the followers.
    if (signal.reason instanceof StopRequest && !signal.reason.record) {
      log.abandon()
      return undefined
    }

    // A cancelled run keeps what was written: the user saw it appear and chose to stop there.
    const keepReply = error === null || (error.code === 'cancelled' && reply !== '')
    const status = error ? 'Flushed' : 'Ready'
    try {
      const completedId = keepReply ? await ids.next() : undefined
      const errorId = error ? await ids.next() : undefined
      const statusId = await ids.next()
      const finished = await store.finishRun({
        sessionId: session.id,
        runId: session.run?.runId ?? '',
        now: clock.now(),
        reply: keepReply ? { id: replyId, text: reply } : null,
        status,
        error,
        lastEventId: statusId,
        ...(name !== undefined && { title: { name, replaces: session.name } }),
        modelCalls,
      })
      // Flushed by another instance meanwhile, which told the followers.
      if (!finished.recorded) {
        log.abandon()
        return undefined
      }
      // Published once stored, so a client that hears of the end finds it in the session.
      if (finished.reply && completedId !== undefined)
        log.publish({ id: completedId, type: 'message.completed', message: finished.reply })
      if (error && errorId !== undefined) log.publish({ id: errorId, type: 'error', error })
      log.publish({ id: statusId, type: 'status', status })
      return { reply: finished.reply, queued: finished.queued }
    } catch (cause) {
      // The store is gone (shutting down or broken); start-up flushes the session next time.
      logger.error('could not record the end of a run', {
        session_id: session.id,
        error: String(cause),
      })
      return undefined
    } finally {
      watch.ended(error ? error.code : 'completed', modelCalls)
    }
  }

  /** The agent's title for the session, or `undefined`: never rejects, never outlasts its time. */
  async #title(
    agent: Agent,
    session: SessionRecord,
    runSignal: AbortSignal,
    recordCall: ReplyContext['recordCall'],
  ) {
    const { titleTimeoutMs, logger } = this.#options
    const signal = AbortSignal.any([runSignal, AbortSignal.timeout(titleTimeoutMs)])
    const first = session.messages.find((message) => message.role === 'user')
    if (!agent.title || !first) return undefined
    try {
      const text = await untilAbortedPromise(
        agent.title({ prompt: first.text, files: first.files }, signal, recordCall),
        signal,
      )
      return text === undefined ? undefined : titleFromModel(text)
    } catch (cause) {
      logger.warn('the agent could not title the session; the prompt names it', {
        session_id: session.id,
        error: String(cause),
      })
      return undefined
    }
  }
}

/** What the session shows: a stop's reason, or a fixed message for the agent's failure. */
function describeFailure(cause: unknown, signal: AbortSignal): SessionError {
  if (signal.aborted && signal.reason instanceof StopRequest) return signal.reason.error
  return agentError(cause)
}

/** Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts. */
function untilAbortedPromise<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // The abandoned promise may still reject later: that must not count as unhandled.
  promise.catch(() => {})
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * The chunks of `source` until `signal` aborts, then its reason is thrown at once, even if the
 * agent is stuck waiting (e.g. in its SDK's retry back-off): a stop never waits for the agent.
 */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  // One listener for the whole run, not one per chunk: it fails the chunk being waited for.
  let failWaiting: ((reason: unknown) => void) | undefined
  const onAbort = () => failWaiting?.(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  let finished = false
  try {
    while (true) {
      signal.throwIfAborted()
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        failWaiting = reject
        // Once abandoned, its late rejection lands on a settled promise: never unhandled.
        iterator.next().then(resolve, reject)
      })
      if (next.done) {
        finished = true
        return
      }
      yield next.value
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    // Let the agent clean up (close its connection) without waiting for it.
    if (!finished) Promise.resolve(iterator.return?.()).catch(() => {})
  }
}
