import { describe, expect, it } from 'vitest'
import { seedMessageId, seedSessionId, TEN_MESSAGE_SESSION_ID, tenMessageId } from './seed-ids.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('seed ids', () => {
  it('are version-4 UUIDs', () => {
    for (const id of [
      seedSessionId(0),
      seedSessionId(999_999),
      seedMessageId(999_999, 15),
      TEN_MESSAGE_SESSION_ID,
      tenMessageId(9),
    ]) {
      expect(id).toMatch(UUID)
    }
  })

  it('sort in index order, so bulk inserts append', () => {
    const ids = [0, 1, 15, 16, 4095, 1_000_000].map(seedSessionId)
    expect([...ids].sort()).toEqual(ids)
    expect(seedMessageId(1, 0) > seedMessageId(0, 15)).toBe(true)
  })
})
