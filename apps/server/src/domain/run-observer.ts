import type { SessionError } from '@uxmate/contract'
import type { ModelCall } from './session-store.ts'

/** How a run ended: `completed`, or the code of its error (`cancelled`, `timeout`, ...). */
export type RunOutcome = 'completed' | SessionError['code']

/** What one run reports while it goes, to whoever watches runs (metrics, traces). */
export interface RunObservation {
  /** The first chunk of the reply arrived. */
  firstChunk(): void
  /** The run is over: how, and the model calls it made (their token usage). */
  ended(outcome: RunOutcome, calls: readonly ModelCall[]): void
}

/**
 * Watches runs: a port of the domain, implemented outside it (`observability/`), so that the
 * domain knows nothing of Prometheus or OpenTelemetry.
 *
 * @example
 * ```ts
 * await observer.run('echo', async (run) => {
 *   run.firstChunk()
 *   run.ended('completed', [])
 * })
 * ```
 */
export interface RunObserver {
  /**
   * Runs `body`, a run of `agentId`'s, within whatever the observer keeps for it (a trace span
   * that the run's store and model calls are children of).
   */
  run<T>(agentId: string, body: (run: RunObservation) => Promise<T>): Promise<T>
}

const unobserved: RunObservation = { firstChunk() {}, ended() {} }

/** The observer of a server without metrics or traces: runs `body`, notes nothing. */
export const noRunObserver: RunObserver = { run: (_agentId, body) => body(unobserved) }
