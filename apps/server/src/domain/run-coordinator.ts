import { randomUUID } from 'node:crypto'
import type { SessionError } from '@uxmate/contract'
import type { Agent } from '../agents/agent.ts'
import type { Logger } from '../logger.ts'
import type { SessionRecord, SessionStore } from '../storage/session-store.ts'
import type { Clock } from './clock.ts'

interface ActiveRun {
  controller: AbortController
  done: Promise<void>
}

export interface RunCoordinatorOptions {
  store: SessionStore
  clock: Clock
  logger: Logger
  /** A run still going after this long is stopped and its session `Flushed` (code `timeout`). */
  runTimeoutMs: number
}

/**
 * Runs agents for sessions in the background and records how each run ends. Every run ends with
 * the session out of `Running`: `Ready` with the reply, or `Flushed` with the reason.
 */
export class RunCoordinator {
  readonly #runs = new Map<string, ActiveRun>()
  readonly #options: RunCoordinatorOptions

  constructor(options: RunCoordinatorOptions) {
    this.#options = options
  }

  /** Starts the agent on a session the store has just marked `Running`. */
  start(session: SessionRecord, agent: Agent): Promise<void> {
    const controller = new AbortController()
    const done = this.#execute(session, agent, controller.signal).finally(() => {
      this.#runs.delete(session.id)
    })
    this.#runs.set(session.id, { controller, done })
    return done
  }

  /** Resolves when the session's run (if any) has ended, or after `timeoutMs`, whichever is first. */
  async wait(sessionId: string, timeoutMs: number): Promise<void> {
    const run = this.#runs.get(sessionId)
    if (!run) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      run.done,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs)
      }),
    ])
    clearTimeout(timer)
  }

  get activeCount(): number {
    return this.#runs.size
  }

  /**
   * Lets runs finish for up to `graceMs`, then stops the rest; each stopped run's session ends
   * `Flushed` with code `interrupted`. Resolves once every run has recorded its end.
   */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.#runs.values()].map((run) => run.done))
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs)
    })
    const outcome = await Promise.race([all(), graceOver])
    clearTimeout(timer)
    if (outcome !== 'timeout') return
    for (const run of this.#runs.values()) run.controller.abort(new ShutdownError())
    await all()
  }

  async #execute(session: SessionRecord, agent: Agent, stop: AbortSignal): Promise<void> {
    const { store, clock, logger, runTimeoutMs } = this.#options
    const timeout = AbortSignal.timeout(runTimeoutMs)
    const signal = AbortSignal.any([stop, timeout])
    const conversation = session.messages.map(({ role, text, files }) => ({ role, text, files }))
    let reply = ''
    let error: SessionError | null = null
    try {
      for await (const chunk of agent.reply(conversation, signal)) {
        signal.throwIfAborted()
        reply += chunk
      }
      signal.throwIfAborted()
    } catch (cause) {
      error = describeFailure(cause, { timedOut: timeout.aborted, stopped: stop.aborted })
      logger.warn('run failed', { session_id: session.id, code: error.code, error: String(cause) })
    }
    try {
      await store.finishRun({
        sessionId: session.id,
        now: clock.now(),
        reply: error ? null : { id: randomUUID(), text: reply },
        status: error ? 'Flushed' : 'Ready',
        error,
      })
    } catch (cause) {
      // The store is gone (shutting down or broken); start-up flushes the session next time.
      logger.error('could not record the end of a run', {
        session_id: session.id,
        error: String(cause),
      })
    }
  }
}

class ShutdownError extends Error {
  constructor() {
    super('The server stopped during the run')
    this.name = 'ShutdownError'
  }
}

function describeFailure(
  cause: unknown,
  how: { timedOut: boolean; stopped: boolean },
): SessionError {
  if (how.timedOut) return { code: 'timeout', message: 'The agent took too long to answer' }
  if (how.stopped) return { code: 'interrupted', message: 'The server stopped during the run' }
  const detail = cause instanceof Error ? cause.message : String(cause)
  return { code: 'agent_error', message: `The agent failed: ${detail}` }
}
