import { describe, expect, it } from 'vitest'
import { timeOrderedId } from './time-ordered-id.ts'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('timeOrderedId', () => {
  it('is a version 7 UUID that starts with the time in milliseconds', () => {
    const now = Date.parse('2031-05-01T10:00:00.123Z')
    const id = timeOrderedId(now)
    expect(id).toMatch(UUID_V7)
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(now)
  })

  it('sorts by time, and differs within one millisecond', () => {
    const ids = Array.from({ length: 1_000 }, (_, index) =>
      timeOrderedId(1_900_000_000_000 + index),
    )
    expect([...ids].sort()).toEqual(ids)
    const same = new Set(Array.from({ length: 1_000 }, () => timeOrderedId(1_900_000_000_000)))
    expect(same.size).toBe(1_000)
    for (const id of same) expect(id).toMatch(UUID_V7)
  })
})
