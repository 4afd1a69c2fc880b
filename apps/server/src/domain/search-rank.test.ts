import { describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from './search-query.ts'
import { RANKED_CHARACTERS, rankByRelevance } from './search-rank.ts'

const parsed = (text: string) => parseSearchQuery(text) as SearchQuery
const rank = (texts: string[], q: string) =>
  rankByRelevance(
    texts.map((text) => ({ text })),
    parsed(q),
  ).map((candidate) => candidate.text)

describe('rankByRelevance', () => {
  it('puts texts with more of the words first, shorter ones, and equal ones in the order given', () => {
    expect(rank(['budget', 'budget budget budget review', 'a budget'], 'budget ')).toEqual([
      'budget budget budget review',
      'budget',
      'a budget',
    ])
    expect(rank(['one budget', 'two budget'], 'budget ')).toEqual(['one budget', 'two budget'])
  })

  it('weighs a word few texts have above one most have', () => {
    const texts = ['common common', 'common rare', 'common', 'common']
    expect(rank(texts, 'common rare ')[0]).toBe('common rare')
  })

  it('counts phrases and prefixes as they match, not exclusions', () => {
    expect(rank(['interview user', 'user interview'], '"user interview"')[0]).toBe('user interview')
    expect(rank(['onboard', 'onboarding onboarded'], 'onbo')[0]).toBe('onboarding onboarded')
    expect(rank(['draft draft budget', 'budget'], 'budget -draft ')[0]).toBe('budget')
  })

  it('reads only the start of a long text', () => {
    const long = `${'x '.repeat(RANKED_CHARACTERS)}budget budget budget`
    expect(rank([long, 'budget'], 'budget ')).toEqual(['budget', long])
  })
})
