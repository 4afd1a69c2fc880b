import { describe, expect, it } from 'vitest'
import { OTHER_OWNERS, SEARCHED_OWNER_INDEX, searchSessionOwner } from './search-seed.ts'
import { benchOwner } from './seed-rows.ts'

const SEARCHED = benchOwner(SEARCHED_OWNER_INDEX)
/** Sessions of the bench's stores: ten messages each, 10k and 1M messages. */
const SESSIONS_10K = 1_000
const SESSIONS_1M = 100_000

const ownersOf = (sessions: number) =>
  Array.from({ length: sessions }, (_, index) => searchSessionOwner(index, 'many-owners'))

describe('searchSessionOwner', () => {
  it('gives the searched owner the same 111 sessions at 10k and at 1M messages', () => {
    const searchedIn = (sessions: number) =>
      ownersOf(sessions).flatMap((owner, index) => (owner === SEARCHED ? [index] : []))
    const at10k = searchedIn(SESSIONS_10K)
    expect(at10k).toHaveLength(111)
    expect(searchedIn(SESSIONS_1M)).toEqual(at10k)
    // Of every kind the seed makes: pinned (index % 10 = 3), archived (7), tagged (tens % 5 = 1).
    expect(at10k.filter((index) => index % 10 === 3)).toHaveLength(11)
    expect(at10k.filter((index) => index % 10 === 7)).toHaveLength(11)
    expect(at10k.filter((index) => Math.floor(index / 10) % 5 === 1).length).toBeGreaterThan(15)
    expect(at10k[0]).toBe(1)
  })

  it('grows the store by the other owners, each with sessions of every kind', () => {
    const others = new Map<string, number[]>()
    ownersOf(SESSIONS_1M).forEach((owner, index) => {
      if (owner !== SEARCHED) others.set(owner, [...(others.get(owner) ?? []), index])
    })
    expect(others.size).toBe(OTHER_OWNERS)
    for (const indexes of others.values()) {
      // About the searched owner's count at 1M: each has ~100 (a few gave one to it).
      expect(indexes.length).toBeGreaterThanOrEqual(98)
      expect(indexes.length).toBeLessThanOrEqual(100)
      expect(new Set(indexes.map((index) => index % 10)).size).toBe(10)
    }
  })

  it('gives every session to the one owner of the one-owner layout', () => {
    expect(
      new Set([0, 1, 999, 99_999].map((index) => searchSessionOwner(index, 'one-owner'))),
    ).toEqual(new Set(['anonymous']))
  })
})
