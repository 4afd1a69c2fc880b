import type { BenchConfig } from '../config.ts'
import type { LoadResult, LoadSpec } from '../load/load-spec.ts'
import { runLoad } from '../load/run-load.ts'
import type { Measured } from '../report/results.ts'
import { ProcessSampler, type ProcessWindow } from '../runtime/proc-stats.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'

/** One measured round: the load result and what the target's process did meanwhile. */
export interface Round {
  load: LoadResult
  proc: ProcessWindow
}

/** Responses of any status in a run. */
export function responses(load: LoadResult): number {
  return load.ok + Object.values(load.rejected).reduce((sum, n) => sum + n, 0)
}

/**
 * Runs `spec` against `target` from a load process while sampling the target's RSS and CPU.
 * No warm-up here: warm-up is a run of its own, so that its CPU is not counted.
 */
export async function measureRound(
  target: ServiceProcess,
  spec: LoadSpec,
  sampleEveryMs = 50,
): Promise<Round> {
  const sampler = new ProcessSampler(target.pid, sampleEveryMs)
  sampler.start()
  let proc: ProcessWindow | undefined
  try {
    const load = await runLoad({ ...spec, warmupS: 0 })
    proc = sampler.stop()
    return { load, proc }
  } finally {
    if (!proc) sampler.stop()
  }
}

/** Unmeasured load, so the JIT has compiled the path before the rounds. */
export async function warmUp(spec: LoadSpec): Promise<void> {
  if (spec.warmupS > 0) await runLoad({ ...spec, durationS: spec.warmupS, warmupS: 0 })
}

/**
 * The best of several rounds of one target: the round with the highest throughput, with the
 * highest peak RSS of all rounds.
 */
export function bestOf(rounds: readonly Round[]): Measured {
  const best = [...rounds].sort((a, b) => b.load.rps - a.load.rps)[0]
  if (!best) throw new Error('no round was run')
  return {
    load: best.load,
    proc: { ...best.proc, peak: Math.max(...rounds.map((round) => round.proc.peak)) },
    cpuUsPerRequest: (best.proc.cpuSeconds * 1e6) / Math.max(1, responses(best.load)),
    roundsRps: rounds.map((round) => round.load.rps),
  }
}

/**
 * Warms up each target, then runs `config.rounds` rounds over all of them in turn (A B C,
 * A B C), so that a noisy neighbour on this shared machine hits every target alike, and keeps
 * the best round of each.
 *
 * @example
 * ```ts
 * const { ours, limit } = await measureInterleaved({ ours: [server, spec], limit: [bare, spec2] }, config)
 * ```
 */
export async function measureInterleaved<K extends string>(
  targets: Record<K, readonly [ServiceProcess, LoadSpec | ((round: number) => LoadSpec)]>,
  config: BenchConfig,
  onRound?: (name: K, round: number, result: Round) => void,
): Promise<Record<K, Measured>> {
  const names = Object.keys(targets) as K[]
  const specFor = (name: K, round: number) => {
    const [, spec] = targets[name]
    return typeof spec === 'function' ? spec(round) : spec
  }
  for (const name of names) await warmUp(specFor(name, -1))
  const rounds = new Map<K, Round[]>(names.map((name) => [name, []]))
  for (let round = 0; round < config.rounds; round++) {
    for (const name of names) {
      const result = await measureRound(targets[name][0], specFor(name, round))
      rounds.get(name)?.push(result)
      onRound?.(name, round, result)
    }
  }
  return Object.fromEntries(names.map((name) => [name, bestOf(rounds.get(name) ?? [])])) as Record<
    K,
    Measured
  >
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

/** `12,345 req/s, p50 1.20 ms, p99 4.50 ms, …` for a progress line. */
export function describeRound(round: Round): string {
  const { load, proc } = round
  const failed = responses(load) - load.ok + load.errors + load.timeouts
  const cpuUs = (proc.cpuSeconds * 1e6) / Math.max(1, responses(load))
  const ms = (value: number | null) => (value === null ? '–' : value.toFixed(2))
  return (
    `${Math.round(load.rps).toLocaleString('en-US')} req/s, p50 ${ms(load.latencyMs.p50)} ms, ` +
    `p99 ${ms(load.latencyMs.p99)} ms, ${cpuUs.toFixed(0)} µs CPU/req, ` +
    `peak RSS ${(proc.peak / 2 ** 20).toFixed(0)} MiB` +
    (failed > 0 ? `, ${failed} failed (${JSON.stringify(load.rejected)})` : '')
  )
}
