import { describe, expect, it } from 'vitest'
import { decodeCursor, decodeMessageCursor, encodeCursor } from './page-cursor.ts'

const raw = (value: string) => Buffer.from(value).toString('base64url')

describe('cursors', () => {
  it('decode what was encoded, at the ends of the range a Date holds', () => {
    for (const time of [-8.64e15, 0, 8.64e15]) {
      const cursor = { updatedAt: new Date(time), id: 'x'.repeat(128) }
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor)
    }
    expect(decodeMessageCursor(raw(`asc:${2 ** 31 - 1}`))).toEqual({
      order: 'asc',
      position: 2 ** 31 - 1,
    })
  })

  it('refuse decoded values out of range: a time no Date holds, a long id, a position past 32 bits', () => {
    expect(decodeCursor(raw(JSON.stringify([8.64e15 + 1, 'a'])))).toBeUndefined()
    expect(decodeCursor(raw(JSON.stringify([-8.64e15 - 1, 'a'])))).toBeUndefined()
    expect(decodeCursor(raw(JSON.stringify([0, 'x'.repeat(129)])))).toBeUndefined()
    expect(decodeMessageCursor(raw(`desc:${2 ** 31}`))).toBeUndefined()
  })
})
