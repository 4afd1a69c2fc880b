/**
 * The words every match of a query has whole (`requiredWords`), which PostgreSQL's walk checks
 * an entry's signature of words for: a word left out only costs a vector read, a word put in
 * that a match may lack would lose it.
 */
import { describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { requiredWords } from '../src/storage/kysely/search-match.ts'

const words = (text: string) => requiredWords(parseSearchQuery(text) as SearchQuery)

describe('requiredWords', () => {
  it('keeps the words of wanted terms and phrases', () => {
    expect(words('design review ')).toBe('design review')
    expect(words('"user interview" notes ')).toBe('user interview notes')
  })

  it('leaves out negated terms and the last word of a prefix', () => {
    expect(words('"user interview" -draft ')).toBe('user interview')
    expect(words('onbo')).toBe('')
    expect(words('user int* -"old notes" ')).toBe('user')
    expect(words('budget onbo')).toBe('budget')
  })
})
