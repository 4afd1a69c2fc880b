import type { SessionError } from '@uxmate/contract'
import type { ModelCall } from './session-store.ts'

/** How a run ended: `completed`, or the code of its error (`cancelled`, `timeout`, ...). */
export type RunResult = 'completed' | SessionError['code']

/** What one run reports while it goes, to whoever watches runs (metrics, traces). */
export interface RunObservation {
  /** The first chunk of the reply arrived. */
  firstChunk(): void
  /** The run is over: how, and the model calls it made (their token usage). */
  ended(outcome: RunResult, calls: readonly ModelCall[]): void
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

/**
 * One observer that tells both: `outer` runs first and holds `inner` (a span around the run
 * holds the metrics' timing).
 *
 * @example
 * ```ts
 * const observer = bothRunObservers(tracing.runs, metrics.runs)
 * ```
 */
export function bothRunObservers(outer: RunObserver, inner: RunObserver): RunObserver {
  return {
    run: (agentId, body) =>
      outer.run(agentId, (first) =>
        inner.run(agentId, (second) =>
          body({
            firstChunk() {
              first.firstChunk()
              second.firstChunk()
            },
            ended(outcome, calls) {
              first.ended(outcome, calls)
              second.ended(outcome, calls)
            },
          }),
        ),
      ),
  }
}
