import type { OwnersOpenTarget } from '../config.ts'
import type { OpenLoopResult } from '../load/open-loop-spec.ts'

/** Issue 21's budgets for many owners: a read's p99 and a streamed turn's first token. */
export const OWNERS_READ_P99_MS = 100
export const OWNERS_FIRST_TOKEN_P99_MS = 200

/** Why a step is within the budgets or not: the first that broke, in this order. */
export type StepVerdict = 'within' | 'failures' | 'reads p99' | 'first token p99'

/** One step of the search: one owner count, one open-loop run. */
export interface OwnersOpenStep {
  owners: number
  load: OpenLoopResult
  /** The servers' CPU over the whole run (warm-up too), per request sent. */
  cpuUsPerRequest: number
  /** The highest RSS of any of the servers, MiB. */
  peakRssMiB: number
  /** The read cache's hit rate over the run, every instance; null without lookups. */
  hitRate: number | null
  /** The machine's 1-minute load average at the end of the step. */
  loadAverage: number
  verdict: StepVerdict
}

export interface OwnersOpenTargetResult {
  target: OwnersOpenTarget | 'sqlite-sized-cache'
  label: string
  steps: OwnersOpenStep[]
  /** The most owners of a step within the budgets; null when the first step broke. */
  largest: number | null
  /** Why the search stopped. */
  stoppedBy: string
}

export interface OwnersOpenResult {
  pollMs: number
  sessionsPerOwner: number
  streamEvery: number
  streamEveryS: number
  writeEveryS: number
  tokenMs: number
  tokens: number
  targets: OwnersOpenTargetResult[]
}

/**
 * The verdict of one run: any failed or refused request breaks it, then a read p99 of
 * {@link OWNERS_READ_P99_MS} or more, then a first-token p99 of {@link OWNERS_FIRST_TOKEN_P99_MS}
 * or more (when turns streamed).
 *
 * @example
 * ```ts
 * stepVerdict(result) // 'within'
 * ```
 */
export function stepVerdict(load: OpenLoopResult): StepVerdict {
  const kinds = [load.polls, load.turns, load.firstToken]
  const refused = (kind: OpenLoopResult['polls']) =>
    Object.values(kind.rejected).reduce((sum, n) => sum + n, 0)
  if (kinds.some((kind) => kind.failed > 0 || refused(kind) > 0)) return 'failures'
  if (!(load.polls.latencyMs.p99 < OWNERS_READ_P99_MS)) return 'reads p99'
  if (load.firstToken.sent > 0 && !(load.firstToken.latencyMs.p99 < OWNERS_FIRST_TOKEN_P99_MS))
    return 'first token p99'
  return 'within'
}
