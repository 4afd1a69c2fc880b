import { askWorker } from './ask-worker.ts'
import type { LoadReply, LoadResult, LoadSpec } from './load-spec.ts'

/**
 * Runs one load spec in a fresh load process (autocannon) and returns its result. The process
 * is killed if it has not answered well after the run should have ended, so no run outlives
 * its time.
 *
 * @example
 * ```ts
 * const result = await runLoad({ baseUrl, method: 'GET', path: '/health', connections: 50,
 *   durationS: 10, warmupS: 2, timeoutS: 10 })
 * ```
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const budgetMs = (spec.warmupS + (spec.amount === undefined ? spec.durationS : 300) + 60) * 1000
  const reply = await askWorker<LoadSpec, LoadReply>('load/load-worker.ts', spec, budgetMs)
  if (!reply.ok) throw new Error(`load process failed: ${reply.error}`)
  // JSON has no NaN: a run without a 2xx response comes back with null percentiles.
  const latency = reply.result.latencyMs
  for (const key of Object.keys(latency) as (keyof typeof latency)[]) {
    latency[key] ??= Number.NaN
  }
  return reply.result
}
