import { describe, expect, it } from 'vitest'
import { sessionFilter } from './session-filter.ts'

describe('sessionFilter', () => {
  it('hides archived sessions unless asked, and takes either pin when not asked', () => {
    expect(sessionFilter({})).toEqual({ archived: false, tags: [], metadata: [] })
    expect(sessionFilter({ archived: true, pinned: false })).toEqual({
      archived: true,
      pinned: false,
      tags: [],
      metadata: [],
    })
  })

  it('splits pairs at the first =, and counts repeats once', () => {
    expect(
      sessionFilter({ tag: ['a', 'b', 'a'], metadata: ['k=v=w', 'e=', 'k=v=w'] }),
    ).toMatchObject({
      tags: ['a', 'b'],
      metadata: [
        ['k', 'v=w'],
        ['e', ''],
      ],
    })
  })
})
