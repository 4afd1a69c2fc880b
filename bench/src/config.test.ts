import { describe, expect, it } from 'vitest'
import { BenchConfigError, defaultBenchConfig, loadBenchConfig } from './config.ts'

describe('loadBenchConfig', () => {
  it('defaults to the full run', () => {
    expect(loadBenchConfig({})).toEqual(defaultBenchConfig)
  })

  it('reads scales in any order, once each, ascending', () => {
    const config = loadBenchConfig({
      BENCH_SCALES: '1_000_000, 10000,10000',
      BENCH_DURATION_S: '3',
    })
    expect(config.scales).toEqual([10_000, 1_000_000])
    expect(config.durationS).toBe(3)
  })

  it('reads the PostgreSQL scales, none, and the parts to run', () => {
    expect(loadBenchConfig({ BENCH_PG_SCALES: '100000,10000' }).pgScales).toEqual([10_000, 100_000])
    expect(loadBenchConfig({ BENCH_PG_SCALES: 'none' }).pgScales).toEqual([])
    expect(loadBenchConfig({ BENCH_ONLY: 'sse, Reads' }).only).toEqual(['reads', 'sse'])
    expect(() => loadBenchConfig({ BENCH_PG_SCALES: '10' })).toThrow(BenchConfigError)
    expect(() => loadBenchConfig({ BENCH_ONLY: 'reads,memory' })).toThrow(BenchConfigError)
  })

  it('reads the search part, its message counts and its connections', () => {
    const config = loadBenchConfig({
      BENCH_ONLY: 'search',
      BENCH_SEARCH_SCALES: '1000000,10000',
      BENCH_SEARCH_PG_SCALES: 'none',
      BENCH_SEARCH_CONNECTIONS: '4',
    })
    expect(config.only).toEqual(['search'])
    expect(config.searchScales).toEqual([10_000, 1_000_000])
    expect(config.searchPgScales).toEqual([])
    expect(config.searchConnections).toBe(4)
    expect(() => loadBenchConfig({ BENCH_SEARCH_CONNECTIONS: '0' })).toThrow(BenchConfigError)
  })

  it('reads the open-loop owners part: its steps, targets and paces', () => {
    const config = loadBenchConfig({
      BENCH_ONLY: 'owners-open',
      BENCH_OWNERS_OPEN_STEPS: '1000, 250,1000',
      BENCH_OWNERS_OPEN_TARGETS: 'peer,SQLite',
      BENCH_OWNERS_POLL_MS: '500',
      BENCH_OWNERS_WRITE_EVERY_S: '0',
    })
    expect(config.only).toEqual(['owners-open'])
    expect(config.ownersOpenSteps).toEqual([250, 1_000])
    expect(config.ownersOpenTargets).toEqual(['sqlite', 'peer'])
    expect(config.ownersPollMs).toBe(500)
    expect(config.ownersWriteEveryS).toBe(0)
    expect(() => loadBenchConfig({ BENCH_OWNERS_OPEN_STEPS: '10' })).toThrow(BenchConfigError)
    expect(() => loadBenchConfig({ BENCH_OWNERS_OPEN_TARGETS: 'mysql' })).toThrow(BenchConfigError)
  })

  it('lists every bad value', () => {
    expect(() => loadBenchConfig({ BENCH_SCALES: 'ten', BENCH_CONNECTIONS: '0' })).toThrow(
      BenchConfigError,
    )
    try {
      loadBenchConfig({ BENCH_SCALES: 'ten', BENCH_CONNECTIONS: '0' })
    } catch (error) {
      expect((error as Error).message).toMatch(/BENCH_SCALES[\s\S]*BENCH_CONNECTIONS/)
    }
  })
})
