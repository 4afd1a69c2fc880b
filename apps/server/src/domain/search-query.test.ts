import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  MAX_SEARCH_TERMS,
  MAX_SEARCH_WORD_LENGTH,
  parseSearchQuery,
  type SearchQuery,
  wordsOf,
} from './search-query.ts'

const parsed = (text: string) => parseSearchQuery(text) as SearchQuery

describe('parseSearchQuery', () => {
  it('reads words, phrases, exclusions and prefixes', () => {
    expect(parsed('"User Interview" -draft onbo').terms).toEqual([
      { words: ['user', 'interview'], prefix: false, negated: false },
      { words: ['draft'], prefix: false, negated: true },
      { words: ['onbo'], prefix: true, negated: false },
    ])
    // A query ending with a space has no word being typed; a star makes any word a prefix.
    expect(parsed('onboarding inter* ').terms).toEqual([
      { words: ['onboarding'], prefix: false, negated: false },
      { words: ['inter'], prefix: true, negated: false },
    ])
    // One letter being typed is not a prefix (it would match nearly everything); a star is.
    expect(parsed('plan a').terms.at(-1)).toEqual({ words: ['a'], prefix: false, negated: false })
    expect(parsed('a*').terms).toEqual([{ words: ['a'], prefix: true, negated: false }])
    expect(parsed('-"first draft" notes').terms[0]).toEqual({
      words: ['first', 'draft'],
      prefix: false,
      negated: true,
    })
  })

  it('splits words at punctuation as the index does, in any script', () => {
    expect(parsed('foo-bar ').terms).toEqual([
      { words: ['foo', 'bar'], prefix: false, negated: false },
    ])
    expect(wordsOf('Ça va? 東京タワー, x_y 3.14')).toEqual([
      'ça',
      'va',
      '東京タワー',
      'x',
      'y',
      '3',
      '14',
    ])
    expect(parsed('"unclosed phrase').terms).toEqual([
      { words: ['unclosed', 'phrase'], prefix: false, negated: false },
    ])
  })

  it('says when nothing is left to find, or too much', () => {
    expect(parseSearchQuery('')).toBe('no_terms')
    expect(parseSearchQuery('"" - * !!')).toBe('no_terms')
    expect(parseSearchQuery('-draft -notes')).toBe('no_terms')
    const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(' ')
    expect(parsed(words(MAX_SEARCH_TERMS)).terms).toHaveLength(MAX_SEARCH_TERMS)
    expect(parseSearchQuery(words(MAX_SEARCH_TERMS + 1))).toBe('too_many_terms')
  })

  it('never throws, and gives only words of letters and digits, at least one wanted', () => {
    const alphabet = fc.constantFrom(
      ...'ab "-*()\':^~NOTANDOR&|!<>\\é東\u0000\u{1F600}\t'.split(''),
    )
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: alphabet }), fc.string({ unit: 'binary' })),
        (text) => {
          const result = parseSearchQuery(text)
          if (typeof result === 'string') {
            expect(['no_terms', 'too_many_terms']).toContain(result)
            return
          }
          expect(result.terms.length).toBeGreaterThan(0)
          expect(result.terms.length).toBeLessThanOrEqual(MAX_SEARCH_TERMS)
          expect(result.terms.some((term) => !term.negated)).toBe(true)
          for (const term of result.terms) {
            expect(term.words.length).toBeGreaterThan(0)
            for (const word of term.words) {
              expect(word).toMatch(/^[\p{L}\p{N}]+$/u)
              expect(word.length).toBeLessThanOrEqual(MAX_SEARCH_WORD_LENGTH)
            }
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})
