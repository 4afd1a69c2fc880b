import { describe, expect, it } from 'vitest'
import { isoTime } from './iso-time.ts'

describe('isoTime', () => {
  it('writes what toISOString writes, across days, years and the range it handles itself', () => {
    const times = [
      0,
      1,
      999,
      59_999,
      86_399_999,
      86_400_000,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 3, 6, 5, 4, 3),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      -1,
      Date.UTC(-1, 0, 1),
      8.64e15,
      -8.64e15,
    ]
    // And a walk over ten years in uneven steps, back and forth between days.
    for (let t = Date.UTC(2020, 0, 1), i = 0; i < 5000; i++, t += 63_072_001 + (i % 7) * 997)
      times.push(t, t - 86_400_000)
    for (const t of times) expect(isoTime(new Date(t))).toBe(new Date(t).toISOString())
  })

  it('throws for an invalid date, as toISOString does', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError)
  })
})
