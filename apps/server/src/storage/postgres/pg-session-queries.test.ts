import { describe, expect, it } from 'vitest'
import type { SessionFilter } from '../../domain/session-store.ts'
import { UNARCHIVED } from '../kysely/session-lists.ts'
import { listStatement, recentPagesStatement, recentStatement } from './pg-session-queries.ts'

const owner = 'anonymous'
/** The most labels a prepared shape has, and a pinned condition. */
const mostLabels: SessionFilter = {
  archived: false,
  pinned: true,
  tags: ['a', 'b'],
  metadata: [
    ['k', 'v'],
    ['l', 'w'],
  ],
}

describe('page statements', () => {
  it('write the page size and archived into the text and the name: each is a statement of its own', () => {
    const fifty = listStatement({ owner, agentId: 'echo', limit: 50 }, 's.id', 'ids')
    const twenty = listStatement({ owner, agentId: 'echo', limit: 20 }, 's.id', 'ids')
    expect(fifty.text).toMatch(/LIMIT 51$/)
    expect(fifty.values).toEqual([owner, 'echo'])
    expect(twenty.name).not.toBe(fifty.name)
    expect(listStatement({ owner, agentId: 'echo', limit: 50 }, 's.id', 'ids')).toEqual(fifty)
    const archived = { ...UNARCHIVED, archived: true }
    const ofArchived = listStatement(
      { owner, agentId: 'echo', limit: 50, filter: archived },
      's.id',
      'ids',
    )
    expect(ofArchived.text).toContain('s.archived = 1')
    expect(fifty.text).toContain('s.archived = 0')
    expect(ofArchived.name).not.toBe(fifty.name)

    const recent = recentStatement({ owner, limit: 100 }, 's.id', 'ids')
    expect(recent.text).toMatch(/LIMIT 100$/)
    expect(recent.values).toEqual([owner])
    expect(recentStatement({ owner, limit: 99 }, 's.id', 'ids').name).not.toBe(recent.name)
  })

  it('name two parts of the most labels and the largest page within PostgreSQL’s 63 characters', () => {
    const filters = [mostLabels, { ...mostLabels, pinned: false }]
    const pages = recentPagesStatement({ owner, agentId: 'echo', limit: 200, filters }, 's.id', 'j')
    expect(pages.name?.length).toBeLessThanOrEqual(63)
    const smaller = recentPagesStatement(
      { owner, agentId: 'echo', limit: 20, filters },
      's.id',
      'j',
    )
    expect(smaller.name).not.toBe(pages.name)
    // The parameters are the filters' alone, numbered in the order of the text.
    const part = [owner, 'echo', 'a', 'b', 'k', 'v', 'l', 'w']
    expect(pages.values).toEqual([...part, ...part])
  })

  it('refuse a page size that is not a whole number of rows', () => {
    expect(() => recentStatement({ owner, limit: 1.5 }, 's.id', 'ids')).toThrow(RangeError)
    expect(() =>
      recentStatement({ owner, limit: Number.NaN, filter: UNARCHIVED }, 's.id', 'ids'),
    ).toThrow(RangeError)
  })
})
