import { describe, expect, it } from 'vitest'
import type { OwnersOpenStep, StepVerdict } from '../report/owners-open-results.ts'
import { searchLargestOwners } from './owners-open-search.ts'

/** A step whose verdict breaks from `limit` owners on. */
const stepper = (limit: number, verdict: StepVerdict = 'reads p99') => {
  const run: number[] = []
  const runStep = async (owners: number) => {
    run.push(owners)
    return { owners, verdict: owners < limit ? 'within' : verdict } as OwnersOpenStep
  }
  return { run, runStep }
}

describe('searchLargestOwners', () => {
  it('steps up until a budget breaks, then tries once in between', async () => {
    const { run, runStep } = stepper(1_600)
    const outcome = await searchLargestOwners([250, 500, 1_000, 2_000, 4_000], 60_000, runStep)
    expect(run).toEqual([250, 500, 1_000, 2_000, 1_500])
    expect(outcome.largest).toBe(1_500)
    expect(outcome.stoppedBy).toBe('reads p99 at 2000')
  })

  it('keeps the last step within when the one in between breaks too', async () => {
    const { run, runStep } = stepper(1_200, 'first token p99')
    const outcome = await searchLargestOwners([500, 1_000, 2_000], 60_000, runStep)
    expect(run).toEqual([500, 1_000, 2_000, 1_500])
    expect(outcome.largest).toBe(1_000)
    expect(outcome.stoppedBy).toBe('first token p99 at 1500')
  })

  it('answers null when the first step breaks, and says when every step was within', async () => {
    expect((await searchLargestOwners([250, 500], 60_000, stepper(100).runStep)).largest).toBe(null)
    const all = await searchLargestOwners([250, 500], 60_000, stepper(10_000).runStep)
    expect(all).toMatchObject({ largest: 500, stoppedBy: 'the last step, within the budgets' })
  })

  it('starts no step after the time bound', async () => {
    let clock = 0
    const { run, runStep } = stepper(10_000)
    const timed = async (owners: number) => {
      clock += 40_000
      return runStep(owners)
    }
    const outcome = await searchLargestOwners([250, 500, 1_000], 60_000, timed, () => clock)
    expect(run).toEqual([250, 500])
    expect(outcome.largest).toBe(500)
    expect(outcome.stoppedBy).toMatch(/time bound .* before 1000/)
  })
})
