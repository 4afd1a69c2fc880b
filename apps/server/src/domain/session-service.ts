import { randomUUID } from 'node:crypto'
import type { AgentRegistry } from '../agents/agent-registry.ts'
import type { NewFile, SessionRecord, SessionStore } from '../storage/session-store.ts'
import type { Clock } from './clock.ts'
import type { RunCoordinator } from './run-coordinator.ts'
import { titleFromPrompt } from './session-title.ts'

export interface SessionServiceOptions {
  store: SessionStore
  agents: AgentRegistry
  clock: Clock
  runs: RunCoordinator
  /** How long a caller that waits for a run waits at most. */
  runWaitMs: number
}

/** How the caller wants to hear about the run it starts. */
export interface TurnOptions {
  /** Answer at once with the session `Running` instead of waiting for the run. */
  respondAsync: boolean
}

export type CreateResult = SessionRecord | 'agent_not_found'
export type ContinueResult = SessionRecord | 'not_found' | 'busy' | 'agent_not_found'
export type SessionResult = SessionRecord | 'not_found'

/**
 * What users do with sessions: open one, continue it. Each turn stores the user's message, then
 * starts the agent's run in the background; the caller either waits for it or not.
 */
export class SessionService {
  readonly #options: SessionServiceOptions

  constructor(options: SessionServiceOptions) {
    this.#options = options
  }

  async create(
    input: { agentId: string; text: string; files: Omit<NewFile, 'id'>[] },
    options: TurnOptions,
  ): Promise<CreateResult> {
    const { store, agents, clock, runs } = this.#options
    const agent = agents.get(input.agentId)
    if (!agent) return 'agent_not_found'
    const session = await store.createSession({
      id: randomUUID(),
      agentId: agent.profile.id,
      name: titleFromPrompt(input.text),
      now: clock.now(),
      message: {
        id: randomUUID(),
        text: input.text,
        files: input.files.map((file) => ({ ...file, id: randomUUID() })),
      },
    })
    void runs.start(session, agent)
    return this.#settle(session, options)
  }

  async continue(sessionId: string, text: string, options: TurnOptions): Promise<ContinueResult> {
    const { store, agents, clock, runs } = this.#options
    const existing = await store.getSession(sessionId)
    if (!existing) return 'not_found'
    const agent = agents.get(existing.agentId)
    if (!agent) return 'agent_not_found'
    const session = await store.startTurn({
      sessionId,
      now: clock.now(),
      message: { id: randomUUID(), text },
    })
    if (typeof session === 'string') return session
    void runs.start(session, agent)
    return this.#settle(session, options)
  }

  /**
   * Renames a session; white space around the name is dropped. The agent's title never
   * replaces a name given this way.
   */
  async rename(sessionId: string, name: string): Promise<SessionResult> {
    return (await this.#options.store.renameSession(sessionId, name.trim())) ?? 'not_found'
  }

  /**
   * Cancels the session's run, if one is going on, and answers with the session once the run
   * has ended. Cancelling a session without a run changes nothing.
   */
  async cancel(sessionId: string): Promise<SessionResult> {
    const { store, runs } = this.#options
    if (!(await store.getSessionHeader(sessionId))) return 'not_found'
    await runs.cancel(sessionId)
    return (await store.getSession(sessionId)) ?? 'not_found'
  }

  async #settle(session: SessionRecord, options: TurnOptions): Promise<SessionRecord> {
    if (options.respondAsync) return session
    await this.#options.runs.wait(session.id, this.#options.runWaitMs)
    return (await this.#options.store.getSession(session.id)) ?? session
  }
}
