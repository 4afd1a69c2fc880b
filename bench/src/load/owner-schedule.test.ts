import { describe, expect, it } from 'vitest'
import { OwnerSchedule, streams, type Visit } from './owner-schedule.ts'

function all(schedule: OwnerSchedule): Visit[] {
  const visits: Visit[] = []
  for (let visit = schedule.take(); visit; visit = schedule.take()) visits.push(visit)
  return visits
}

describe('OwnerSchedule', () => {
  const plan = {
    owners: 40,
    pollEveryMs: 2_000,
    streamEvery: 20,
    streamEveryMs: 5_000,
    writeEveryMs: 7_000,
    endMs: 20_000,
  }

  it('gives the visits in due order, each owner polling every interval from its own phase', () => {
    const visits = all(new OwnerSchedule(plan))
    for (let i = 1; i < visits.length; i++) {
      expect(visits[i]?.due).toBeGreaterThanOrEqual(visits[i - 1]?.due ?? 0)
    }
    expect(visits.every((visit) => visit.due >= 0 && visit.due < plan.endMs)).toBe(true)
    const polls = (owner: number) =>
      visits.filter((visit) => visit.owner === owner && visit.kind === 'poll').map((v) => v.due)
    for (const owner of [0, 7, 39]) {
      const dues = polls(owner)
      expect(dues).toHaveLength(10)
      for (let i = 1; i < dues.length; i++) {
        expect((dues[i] ?? 0) - (dues[i - 1] ?? 0)).toBeCloseTo(2_000, 6)
      }
    }
    // Phases differ: not every owner polls at the same moment.
    expect(new Set([0, 1, 2, 3].map((owner) => polls(owner)[0])).size).toBe(4)
  })

  it('paces the streaming owners and the others by their own intervals', () => {
    const visits = all(new OwnerSchedule(plan))
    const turns = (owner: number) =>
      visits.filter((visit) => visit.owner === owner && visit.kind === 'turn').length
    expect(streams(20, 20)).toBe(true)
    expect(streams(21, 20)).toBe(false)
    expect(turns(20)).toBe(4) // every 5 s over 20 s
    expect(turns(21)).toBeGreaterThanOrEqual(2)
    expect(turns(21)).toBeLessThanOrEqual(3) // every 7 s
    expect(
      all(new OwnerSchedule({ ...plan, streamEvery: 0, writeEveryMs: 0 })).some(
        (visit) => visit.kind === 'turn',
      ),
    ).toBe(false)
  })

  it('is the same schedule for the same seed', () => {
    expect(all(new OwnerSchedule(plan))).toEqual(all(new OwnerSchedule(plan)))
    expect(all(new OwnerSchedule({ ...plan, seed: 5 }))).not.toEqual(all(new OwnerSchedule(plan)))
  })
})
