import type { BenchConfig } from '../config.ts'
import type { LoadSpec } from '../load/load-spec.ts'
import { runLoad } from '../load/run-load.ts'
import type { Measured } from '../report/results.ts'
import { RssSampler } from '../runtime/proc-memory.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'

/**
 * Runs `spec` against `target` from the load process while sampling the target's RSS.
 *
 * @example
 * ```ts
 * const measured = await measure(ours, getSpec(ours.baseUrl, '/health', config))
 * ```
 */
export async function measure(
  target: ServiceProcess,
  spec: LoadSpec,
  sampleEveryMs = 50,
): Promise<Measured> {
  const sampler = new RssSampler(target.pid, sampleEveryMs)
  sampler.start()
  try {
    const load = await runLoad(spec)
    return { load, rss: sampler.stop() }
  } finally {
    sampler.stop()
  }
}

/** A GET run with the configured connections, duration and warm-up. */
export function getSpec(baseUrl: string, path: string, config: BenchConfig): LoadSpec {
  return {
    baseUrl,
    method: 'GET',
    path,
    connections: config.connections,
    durationS: config.durationS,
    warmupS: config.warmupS,
    timeoutS: 10,
  }
}

/** One line of progress on stderr, so stdout keeps only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

/** `12,345 req/s, p50 1.20 ms, p99 4.50 ms` for a progress line. */
export function describe(measured: Measured): string {
  const { load } = measured
  const rejected = Object.values(load.rejected).reduce((sum, n) => sum + n, 0)
  const problems = rejected + load.errors + load.timeouts
  return (
    `${Math.round(load.rps).toLocaleString('en-US')} req/s, p50 ${load.latencyMs.p50.toFixed(2)} ms, ` +
    `p99 ${load.latencyMs.p99.toFixed(2)} ms, peak RSS ${(measured.rss.peak / 2 ** 20).toFixed(0)} MiB` +
    (problems > 0 ? `, ${problems} failed (${JSON.stringify(load.rejected)})` : '')
  )
}
