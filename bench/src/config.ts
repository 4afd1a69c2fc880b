/** What a run measures and for how long; every field comes from a `BENCH_*` variable. */
export interface BenchConfig {
  /** Session counts the read scenarios are repeated at, ascending (`BENCH_SCALES`). */
  scales: number[]
  /**
   * Session counts the read scenarios are repeated at on PostgreSQL, ascending
   * (`BENCH_PG_SCALES`; `none` for no PostgreSQL rows).
   */
  pgScales: number[]
  /** The parts of the run to measure (`BENCH_ONLY`, comma-separated; all by default). */
  only: readonly BenchPart[]
  /** Seconds each measured load run lasts (`BENCH_DURATION_S`). */
  durationS: number
  /** Seconds of unmeasured load before each target's rounds, so the JIT has compiled the path. */
  warmupS: number
  /** Measured rounds of each target, interleaved; the best one counts (`BENCH_ROUNDS`). */
  rounds: number
  /** Concurrent keep-alive connections of each load run (`BENCH_CONNECTIONS`). */
  connections: number
  /** Subscribers of the SSE fan-out scenario (`BENCH_SSE_SUBSCRIBERS`). */
  sseSubscribers: number
  /**
   * Milliseconds between two words of the streamed reply in the SSE scenario
   * (`BENCH_SSE_EVENT_MS`, the server's ECHO_DELAY_MS): 20 is 50 deltas a second, the pace of a
   * fast LLM.
   */
  sseEventMs: number
  /** 24 MiB uploads in the memory burst (`BENCH_UPLOAD_BURST`), sent 4 at a time. */
  uploadBurst: number
  /** Owners (API keys) of the many-owners part (`BENCH_OWNERS`). */
  owners: number
  /**
   * The open-loop many-owners part (`owners-open`): the owner counts it steps up through,
   * ascending, until a budget breaks (`BENCH_OWNERS_OPEN_STEPS`).
   */
  ownersOpenSteps: number[]
  /** The stores and servers it searches (`BENCH_OWNERS_OPEN_TARGETS`: sqlite, postgres, peer). */
  ownersOpenTargets: readonly OwnersOpenTarget[]
  /** Seconds one target's search may take; no further step starts after (`BENCH_OWNERS_OPEN_SEARCH_S`). */
  ownersOpenSearchS: number
  /** Milliseconds between two polls of one owner's sidebar (`BENCH_OWNERS_POLL_MS`). */
  ownersPollMs: number
  /** Seconds between two turns of an owner that streams (`BENCH_OWNERS_STREAM_EVERY_S`). */
  ownersStreamEveryS: number
  /** Seconds between two turns of any other owner (`BENCH_OWNERS_WRITE_EVERY_S`). */
  ownersWriteEveryS: number
  /** Messages in the store of the search part on SQLite, ascending (`BENCH_SEARCH_SCALES`). */
  searchScales: number[]
  /**
   * The same on PostgreSQL (`BENCH_SEARCH_PG_SCALES`; `none` for no PostgreSQL rows).
   */
  searchPgScales: number[]
  /**
   * Connections of the search rows (`BENCH_SEARCH_CONNECTIONS`): one by default, so that p50 is
   * what one search takes, not the time it waits behind 49 others.
   */
  searchConnections: number
}

/**
 * The parts of a run: read rows (SQLite and PostgreSQL), write rows, upload memory, SSE, long
 * conversations (turns on long sessions, a page of a very long one), and what metrics and
 * traces cost (a kept read and a create, off / metrics / metrics + traces), many owners'
 * sidebars polling while some stream (the read cache's hit rate, the rate limiter's cost), the
 * many owners' rate limiter shared through PostgreSQL against the per-instance one, and search over 10k-1M messages with a filtered grouped page (issue 17).
 */
export const benchParts = [
  'reads',
  'writes',
  'upload',
  'sse',
  'long',
  'observability',
  'owners',
  'owners-open',
  'limiter',
  'search',
] as const
export type BenchPart = (typeof benchParts)[number]

/** What the open-loop many-owners part searches: our server on each store, and the peer. */
export const ownersOpenTargets = ['sqlite', 'postgres', 'peer'] as const
export type OwnersOpenTarget = (typeof ownersOpenTargets)[number]

export class BenchConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid bench configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'BenchConfigError'
  }
}

export const defaultBenchConfig: BenchConfig = {
  scales: [10_000, 100_000, 1_000_000],
  pgScales: [10_000, 100_000],
  only: benchParts,
  durationS: 8,
  warmupS: 2,
  rounds: 2,
  connections: 50,
  sseSubscribers: 1_000,
  sseEventMs: 20,
  uploadBurst: 12,
  owners: 2_000,
  ownersOpenSteps: [100, 250, 500, 1_000, 2_000],
  ownersOpenTargets,
  ownersOpenSearchS: 300,
  ownersPollMs: 2_000,
  ownersStreamEveryS: 10,
  ownersWriteEveryS: 60,
  searchScales: [10_000, 100_000, 1_000_000],
  searchPgScales: [10_000, 100_000, 1_000_000],
  searchConnections: 1,
}

/**
 * Reads the bench's settings from the environment, defaults for what is unset; the default is
 * the full run (10k, 100k and 1M sessions; best of 2 rounds of 8 s per target and scenario).
 *
 * @example
 * ```ts
 * loadBenchConfig({ BENCH_SCALES: '10000', BENCH_DURATION_S: '3' }) // a quick run
 * ```
 */
export function loadBenchConfig(env: Record<string, string | undefined>): BenchConfig {
  const problems: string[] = []
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim()
    if (!raw) return fallback
    const value = Number(raw.replaceAll('_', ''))
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`)
      return fallback
    }
    return value
  }

  const scaleList = (name: string, fallback: number[], allowNone: boolean): number[] => {
    const raw = env[name]?.trim()
    if (!raw) return fallback
    if (allowNone && raw.toLowerCase() === 'none') return []
    const parsed = raw.split(',').map((item) => Number(item.trim().replaceAll('_', '')))
    if (parsed.some((n) => !Number.isInteger(n) || n < 200 || n > 10_000_000)) {
      problems.push(
        `${name} must be comma-separated counts from 200 to 10000000${allowNone ? " (or 'none')" : ''}, got '${raw}'`,
      )
      return fallback
    }
    return [...new Set(parsed)].sort((a, b) => a - b)
  }
  const scales = scaleList('BENCH_SCALES', defaultBenchConfig.scales, false)
  const pgScales = scaleList('BENCH_PG_SCALES', defaultBenchConfig.pgScales, true)
  const partList = (): readonly BenchPart[] => {
    const raw = env.BENCH_ONLY?.trim()
    if (!raw) return defaultBenchConfig.only
    const parts = raw.split(',').map((item) => item.trim().toLowerCase())
    const unknown = parts.filter((part) => !(benchParts as readonly string[]).includes(part))
    if (unknown.length > 0) {
      problems.push(`BENCH_ONLY takes ${benchParts.join(', ')} (comma-separated), got '${raw}'`)
      return defaultBenchConfig.only
    }
    return benchParts.filter((part) => parts.includes(part))
  }

  const stepList = (): number[] => {
    const raw = env.BENCH_OWNERS_OPEN_STEPS?.trim()
    if (!raw) return defaultBenchConfig.ownersOpenSteps
    const parsed = raw.split(',').map((item) => Number(item.trim().replaceAll('_', '')))
    if (parsed.some((n) => !Number.isInteger(n) || n < 20 || n > 100_000)) {
      problems.push(
        `BENCH_OWNERS_OPEN_STEPS must be comma-separated counts from 20 to 100000, got '${raw}'`,
      )
      return defaultBenchConfig.ownersOpenSteps
    }
    return [...new Set(parsed)].sort((a, b) => a - b)
  }
  const targetList = (): readonly OwnersOpenTarget[] => {
    const raw = env.BENCH_OWNERS_OPEN_TARGETS?.trim()
    if (!raw) return defaultBenchConfig.ownersOpenTargets
    const names = raw.split(',').map((item) => item.trim().toLowerCase())
    if (names.some((name) => !(ownersOpenTargets as readonly string[]).includes(name))) {
      problems.push(
        `BENCH_OWNERS_OPEN_TARGETS takes ${ownersOpenTargets.join(', ')} (comma-separated), got '${raw}'`,
      )
      return defaultBenchConfig.ownersOpenTargets
    }
    return ownersOpenTargets.filter((target) => names.includes(target))
  }

  const config: BenchConfig = {
    scales,
    pgScales,
    only: partList(),
    durationS: whole('BENCH_DURATION_S', defaultBenchConfig.durationS, 1, 600),
    warmupS: whole('BENCH_WARMUP_S', defaultBenchConfig.warmupS, 0, 60),
    rounds: whole('BENCH_ROUNDS', defaultBenchConfig.rounds, 1, 10),
    connections: whole('BENCH_CONNECTIONS', defaultBenchConfig.connections, 1, 10_000),
    sseSubscribers: whole('BENCH_SSE_SUBSCRIBERS', defaultBenchConfig.sseSubscribers, 1, 20_000),
    sseEventMs: whole('BENCH_SSE_EVENT_MS', defaultBenchConfig.sseEventMs, 1, 1_000),
    uploadBurst: whole('BENCH_UPLOAD_BURST', defaultBenchConfig.uploadBurst, 0, 200),
    owners: whole('BENCH_OWNERS', defaultBenchConfig.owners, 20, 100_000),
    ownersOpenSteps: stepList(),
    ownersOpenTargets: targetList(),
    ownersOpenSearchS: whole(
      'BENCH_OWNERS_OPEN_SEARCH_S',
      defaultBenchConfig.ownersOpenSearchS,
      10,
      3_600,
    ),
    ownersPollMs: whole('BENCH_OWNERS_POLL_MS', defaultBenchConfig.ownersPollMs, 100, 60_000),
    ownersStreamEveryS: whole(
      'BENCH_OWNERS_STREAM_EVERY_S',
      defaultBenchConfig.ownersStreamEveryS,
      1,
      3_600,
    ),
    ownersWriteEveryS: whole(
      'BENCH_OWNERS_WRITE_EVERY_S',
      defaultBenchConfig.ownersWriteEveryS,
      0,
      3_600,
    ),
    searchScales: scaleList('BENCH_SEARCH_SCALES', defaultBenchConfig.searchScales, true),
    searchPgScales: scaleList('BENCH_SEARCH_PG_SCALES', defaultBenchConfig.searchPgScales, true),
    searchConnections: whole(
      'BENCH_SEARCH_CONNECTIONS',
      defaultBenchConfig.searchConnections,
      1,
      1_000,
    ),
  }
  if (problems.length > 0) throw new BenchConfigError(problems)
  return config
}
