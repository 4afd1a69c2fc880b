import { describe, expect, it } from 'vitest'
import { PHRASES, searchText, searchTextLength, VOCABULARY } from './search-text.ts'

/** Share of `texts` that contain `word` as a word. */
const share = (texts: string[], word: string) =>
  texts.filter((text) => new RegExp(`(^|[^\\p{L}])${word}([^\\p{L}]|$)`, 'iu').test(text)).length /
  texts.length

describe('searchText', () => {
  const texts = Array.from({ length: 2_000 }, (_, key) =>
    searchText(key, searchTextLength(key, key % 10)),
  )

  it('gives the same text for the same key, and another for another', () => {
    expect(searchText(42, 30)).toBe(searchText(42, 30))
    expect(searchText(43, 30)).not.toBe(searchText(42, 30))
  })

  it('falls off in document frequency as real text does', () => {
    expect(share(texts, 'the')).toBeGreaterThan(0.7)
    const common = share(texts, 'onboarding')
    expect(common).toBeGreaterThan(0.08)
    expect(common).toBeLessThan(0.4)
    expect(share(texts, VOCABULARY[10_000] as string)).toBeLessThan(0.01)
    expect(new Set(VOCABULARY).size).toBe(VOCABULARY.length)
  })

  it('writes the common phrases as such', () => {
    expect(texts.some((text) => text.toLowerCase().includes(PHRASES[0] as string))).toBe(true)
  })

  it('makes prompts shorter than replies', () => {
    const words = (position: number) =>
      Array.from({ length: 200 }, (_, key) => searchTextLength(key, position)).reduce(
        (sum, n) => sum + n,
      )
    expect(words(0)).toBeLessThan(words(1))
  })
})
