import { describe, expect, it } from 'vitest'
import type { OpenLoopKind, OpenLoopResult } from '../load/open-loop-spec.ts'
import { ownersOpenBudgets, stepVerdict } from './owners-open-results.ts'

const kind = (p99: number, extra: Partial<OpenLoopKind> = {}): OpenLoopKind => ({
  sent: 10,
  ok: 10,
  notModified: 0,
  failed: 0,
  rejected: {},
  meanFullBytes: null,
  latencyMs: { mean: p99 / 2, p50: p99 / 2, p90: p99, p99, max: p99 },
  ...extra,
})

const run = (parts: Partial<OpenLoopResult>): OpenLoopResult => ({
  polls: kind(50),
  turns: kind(30),
  firstToken: kind(150),
  sendLagMs: { mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
  requests: 30,
  clientCpuSeconds: 1,
  ...parts,
})

describe('stepVerdict', () => {
  it('is within when reads and first tokens are under their p99 budgets and nothing failed', () => {
    expect(stepVerdict(run({}))).toBe('within')
    // No streamed turn (the peer): the first-token budget does not apply.
    expect(stepVerdict(run({ firstToken: kind(Number.NaN, { sent: 0, ok: 0 }) }))).toBe('within')
  })

  it('breaks on a failure or refusal first, then reads, then the first token', () => {
    expect(stepVerdict(run({ turns: kind(30, { rejected: { 429: 1 } }), polls: kind(500) }))).toBe(
      'failures',
    )
    expect(stepVerdict(run({ polls: kind(100, { failed: 1 }) }))).toBe('failures')
    expect(stepVerdict(run({ polls: kind(100), firstToken: kind(900) }))).toBe('reads p99')
    expect(stepVerdict(run({ firstToken: kind(200) }))).toBe('first token p99')
    // Every streamed turn failed: no latency at all is not within.
    expect(stepVerdict(run({ polls: kind(Number.NaN, { ok: 0 }) }))).toBe('reads p99')
  })
})

describe('ownersOpenBudgets', () => {
  it('passes a store whose search reached 1,000 owners, misses one that did not', () => {
    const target = (name: 'sqlite' | 'postgres', largest: number | null) => ({
      target: name,
      label: name,
      steps: [],
      largest,
      stoppedBy: 'reads p99 at 2000',
    })
    const result = {
      pollMs: 2_000,
      sessionsPerOwner: 20,
      streamEvery: 20,
      streamEveryS: 10,
      writeEveryS: 60,
      tokenMs: 20,
      tokens: 100,
      targets: [target('sqlite', 1_000), target('postgres', 500)],
    }
    expect(ownersOpenBudgets(result).map((check) => check.verdict)).toEqual(['pass', 'miss'])
    expect(ownersOpenBudgets(undefined).map((check) => check.verdict)).toEqual(['n/a', 'n/a'])
  })
})
