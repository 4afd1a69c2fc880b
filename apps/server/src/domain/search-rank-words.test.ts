import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery, termMatchesAt, wordsOf } from './search-query.ts'
import { RANKED_CHARACTERS, rankByRelevance, rankedWordCount } from './search-rank.ts'

/**
 * The ranking as it is defined, read the slow way: BM25 over the words `wordsOf` gives for each
 * text's first characters, a term counted at every word it matches from (`termMatchesAt`, as
 * the snippet marks). However the ranking counts, it must give this order.
 */
function referenceOrder(texts: readonly string[], query: SearchQuery): string[] {
  const terms = query.terms.filter((term) => !term.negated)
  const counted = texts.map((text) => {
    const words = wordsOf(text.slice(0, RANKED_CHARACTERS))
    const counts = terms.map(
      (term) => words.filter((_, start) => termMatchesAt(term, words, start)).length,
    )
    return { length: words.length, counts }
  })
  const total = Math.max(1, counted.length)
  const averageLength = Math.max(1, counted.reduce((sum, row) => sum + row.length, 0) / total)
  const weights = terms.map((_, i) => {
    const having = counted.filter((row) => (row.counts[i] ?? 0) > 0).length
    return Math.log(1 + (total - having + 0.5) / (having + 0.5))
  })
  return counted
    .map((row, order) => {
      const norm = 1.2 * (1 - 0.75 + (0.75 * row.length) / averageLength)
      let score = 0
      for (const [i, count] of row.counts.entries())
        score += ((weights[i] ?? 0) * (count * 2.2)) / (count + norm)
      return { text: texts[order] as string, score, order }
    })
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .map((row) => row.text)
}

const parsed = (text: string) => parseSearchQuery(text) as SearchQuery
const rank = (texts: readonly string[], q: string) =>
  rankByRelevance(
    texts.map((text) => ({ text })),
    parsed(q),
  ).map((candidate) => candidate.text)

const LONG_WORD = 'x'.repeat(70)

/**
 * Pieces of text where words are easy to count wrong: letters whose lowercase is longer (`İ`)
 * or differs by position (`Σ`), combining marks (not letters: they end a word), letters and
 * digits outside the BMP and of other scripts, an emoji, a lone surrogate, a word longer than
 * a query's longest, punctuation and repeats.
 */
const PIECES = [
  'a',
  'b',
  'ab',
  'ba',
  'onboarding',
  'Onboarding',
  'İ',
  'i',
  'ß',
  'ss',
  'Σ',
  'σ',
  'ς',
  'é',
  'e\u0301',
  '東京',
  '𝐀',
  '𝐚',
  '\u{1F600}',
  '\uD800',
  '٣',
  'Ａ',
  '7',
  LONG_WORD,
  ' ',
  ' ',
  '-',
  '.',
  '\n',
  '_',
]

const QUERIES = [
  'a ',
  'b ',
  'ab',
  'a b ',
  '"a b"',
  '"a a"',
  '"a a a"',
  'a -b ',
  'onbo',
  'onboarding ',
  'i ',
  'σ ',
  'ς ',
  'ss ',
  'e ',
  'é ',
  '東京 ',
  '𝐚 ',
  '٣ ',
  'ａ ',
  '7 ',
  `${'x'.repeat(64)} `,
  `"${'x'.repeat(64)} a"`,
  'xx',
  `${'x'.repeat(63)}*`,
]

const text = fc
  .tuple(
    fc.nat({ max: RANKED_CHARACTERS + 20 }),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }),
  )
  // Sometimes padded up to the ranked part's end, so that words and pairs are cut there.
  .map(
    ([pad, pieces]) =>
      `${pad > RANKED_CHARACTERS - 60 ? 'z '.repeat(pad / 2) : ''}${pieces.join('')}`,
  )

describe('rankByRelevance on texts whose words are hard to count', () => {
  it('orders as BM25 over the words `wordsOf` reads, for any texts and query', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...QUERIES),
        (texts, q) => {
          const expected = referenceOrder(texts, parsed(q))
          expect(rank(texts, q)).toEqual(expected)
          // With each text's count of words given, as the stores keep it: the same order.
          const counted = texts.map((text) => ({ text, words: rankedWordCount(text) }))
          expect(rankByRelevance(counted, parsed(q)).map((row) => row.text)).toEqual(expected)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it("takes a text's count of words where given, rather than counting them", () => {
    const texts = [
      { text: 'budget', words: 40 },
      { text: 'budget review', words: null },
    ]
    expect(rankByRelevance(texts, parsed('budget ')).map((row) => row.text)).toEqual([
      'budget review',
      'budget',
    ])
    expect(rankedWordCount('İstanbul, 2027: naïve e\u0301')).toBe(5)
  })

  it('counts overlapping repeats of a phrase, and a long word by its first 64 letters', () => {
    expect(rank(['a a', 'a a a a', 'a a a'], '"a a"')).toEqual(['a a a a', 'a a a', 'a a'])
    expect(rank(['x', `${LONG_WORD} ${LONG_WORD}`], `${'x'.repeat(64)} `)[0]).toBe(
      `${LONG_WORD} ${LONG_WORD}`,
    )
  })

  it('matches a prefix at a word start only, and case as lowercase makes it', () => {
    expect(rank(['xonboard yonboard', 'onboard'], 'onbo')[0]).toBe('onboard')
    expect(rank(['s', 'Σ σ ς'], 'σ ')[0]).toBe('Σ σ ς')
    // `İ` lowercases to `i` and a combining dot: the dot ends the word, so `İ` is the word `i`.
    expect(rank(['a', 'İ İ'], 'i ')[0]).toBe('İ İ')
  })

  it('reads a word cut at the end of the ranked part as it is cut', () => {
    const cut = `${'z '.repeat((RANKED_CHARACTERS - 4) / 2)}onboarding onboarding`
    // The first `onboarding` is cut to `onbo`: it counts for the prefix, not for the word.
    expect(rank([cut, 'onboarding z z z'], 'onboarding ')[0]).toBe('onboarding z z z')
    expect(rank(['z', cut], 'onbo')[0]).toBe(cut)
  })
})
