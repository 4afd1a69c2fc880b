import { describe, expect, it } from 'vitest'
import { defaultBenchConfig } from '../config.ts'
import { checkBudgets } from './budgets.ts'
import type { BenchResults, Measured, ReadRow } from './results.ts'

/** A measurement with throughput `rps` and median latency `p50` (ms); the rest plausible. */
function measured(rps: number, p50: number): Measured {
  return {
    load: {
      ok: rps * 8,
      rejected: {},
      errors: 0,
      timeouts: 0,
      durationS: 8,
      rps,
      latencyMs: { mean: p50, p50, p90: p50 * 2, p99: p50 * 3, max: p50 * 4 },
      bytesPerSecond: rps * 1000,
    },
    proc: { start: 1, peak: 1, end: 1, hwm: 1, cpuSeconds: 1 },
    cpuUsPerRequest: 1e6 / rps,
    roundsRps: [rps],
  }
}

function listRow(sessions: number, oursP50: number, uncachedP50: number): ReadRow {
  return {
    kind: 'read',
    scenario: 'list',
    label: 'GET /sessions?agent_id=echo (50)',
    store: 'SQLite',
    sessions,
    bodyBytes: 28_953,
    ours: measured(10_000, oursP50),
    uncached: measured(1_000, uncachedP50),
    limit: measured(12_000, 1),
    peer: measured(900, 50),
    peerSameJson: true,
  }
}

const results = (rows: ReadRow[]): BenchResults => ({
  startedAt: '',
  finishedAt: '',
  machine: { cpus: 2, cpuModel: '', memoryGiB: 24, node: '', platform: '' },
  config: defaultBenchConfig,
  seeding: [],
  rows,
  sse: { status: 'skipped', note: '' },
})

const flatness = (rows: ReadRow[]) =>
  checkBudgets(results(rows)).find(
    (check) => check.budget.startsWith('GET /sessions?agent_id') && check.budget.includes('p50'),
  )

describe('the 1M flatness budget', () => {
  it('passes when the server is flat with and without its read cache', () => {
    const check = flatness([listRow(10_000, 3, 40), listRow(1_000_000, 3.3, 44)])
    expect(check?.verdict).toBe('pass')
    expect(check?.measured).toContain('no read cache 40.00 → 44.00 ms')
  })

  it('misses when only the read cache keeps it flat', () => {
    expect(flatness([listRow(10_000, 3, 40), listRow(1_000_000, 3, 90)])?.verdict).toBe('miss')
  })
})

describe('the store path budgets (no read cache)', () => {
  const check = (rows: ReadRow[], start: string) =>
    checkBudgets(results(rows)).find((c) => c.budget.startsWith(start))
  const withCpu = (row: ReadRow, uncachedUs: number, peerUs: number): ReadRow => ({
    ...row,
    uncached: { ...(row.uncached as Measured), cpuUsPerRequest: uncachedUs },
    peer: { ...(row.peer as Measured), cpuUsPerRequest: peerUs },
  })

  it('judges CPU per request against the budget at every scale', () => {
    const under = [
      withCpu(listRow(10_000, 3, 40), 250, 1000),
      withCpu(listRow(1e6, 3, 40), 300, 1000),
    ]
    expect(check(under, 'GET /sessions?agent_id=echo (50), no read cache')?.verdict).toBe('pass')
    const over = [
      withCpu(listRow(10_000, 3, 40), 250, 1000),
      withCpu(listRow(1e6, 3, 40), 301, 1000),
    ]
    const missed = check(over, 'GET /sessions?agent_id=echo (50), no read cache')
    expect(missed?.verdict).toBe('miss')
    expect(missed?.measured).toBe('10k 250 µs, 1M 301 µs')
  })

  it('asks for a third of the peer’s CPU on every row', () => {
    expect(check([withCpu(listRow(10_000, 3, 40), 300, 900)], 'no read cache: ≥ 3×')?.verdict).toBe(
      'pass',
    )
    const missed = check([withCpu(listRow(10_000, 3, 40), 301, 900)], 'no read cache: ≥ 3×')
    expect(missed?.verdict).toBe('miss')
    expect(missed?.measured).toBe('lowest 2.99× (list at 10k)')
  })
})

describe("PostgreSQL reads' budgets", () => {
  /** A get on `store`: without its cache, `cpuUs` of CPU a read and `rps` a second. */
  const getRow = (store: ReadRow['store'], cpuUs: number, rps: number): ReadRow => ({
    kind: 'read',
    scenario: 'get',
    label: 'GET /sessions/{id} (10 messages)',
    store,
    sessions: 10_000,
    bodyBytes: 2_495,
    ours: measured(20_000, 2),
    uncached: { ...measured(rps, 8), cpuUsPerRequest: cpuUs },
    limit: measured(40_000, 1),
    peer: measured(2_000, 20),
  })
  const checks = (postgresCpu: number, postgresRps: number) =>
    checkBudgets(
      results([getRow('SQLite', 200, 5_000), getRow('PostgreSQL', postgresCpu, postgresRps)]),
    )
      .filter((check) => check.budget.startsWith('PostgreSQL, no read cache'))
      .map((check) => check.verdict)

  it('pass within 1.5× of SQLite without cache and at 1.5× the peer', () => {
    expect(checks(300, 3_000)).toEqual(['pass', 'pass'])
  })

  it('miss past 1.5× of SQLite, or under 1.5× the peer', () => {
    expect(checks(301, 3_000)).toEqual(['miss', 'pass'])
    expect(checks(250, 2_999)).toEqual(['pass', 'miss'])
  })
})
