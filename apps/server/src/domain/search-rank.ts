/**
 * Relevance, computed by the server from the texts of the rows a store found, the same on SQLite
 * and PostgreSQL. The engines' own (FTS5's bm25(), ts_rank) were not kept: bm25() counts, once
 * per query, every row of the whole index that has each term (the owner's word included), which
 * costs what the index holds, not what is ranked; and the two engines ranked differently.
 */
import { MAX_SEARCH_WORD_LENGTH, type SearchQuery, type SearchTerm } from './search-query.ts'

/** How much of each text ranking reads: a match past it counts as none. */
export const RANKED_CHARACTERS = 2_000

/** BM25's usual constants: how fast repeats stop counting, and how much length does. */
const K1 = 1.2
const B = 0.75

const WORD = /[\p{L}\p{N}]+/gu
const LETTER = '[\\p{L}\\p{N}]'
const BETWEEN = '[^\\p{L}\\p{N}]+'

/** The part of a text ranking reads, as the query compares it (lowercase). */
const rankedPart = (text: string) => text.slice(0, RANKED_CHARACTERS).toLowerCase()

/**
 * How many words ranking reads in a text: the runs of letters and digits of its first
 * {@link RANKED_CHARACTERS} characters, lowercased first (as `wordsOf` reads them: `İ`
 * lowercases to `i` and a combining dot, which ends the word). Kept with each message when it
 * is written (`messages.ranked_words`), so that a search does not count them again.
 *
 * @example
 * ```ts
 * rankedWordCount('Budget review, 2027') // 3
 * ```
 */
export function rankedWordCount(text: string): number {
  return rankedPart(text).match(WORD)?.length ?? 0
}

/**
 * Where a term occurs in a ranked part, as `termMatchesAt` over its words would find it, without
 * splitting the text into words: its first word at a word's start, the rest of a phrase in a
 * lookahead (matches of a phrase may overlap: the next one may start at its second word). A
 * text's word is compared by its first {@link MAX_SEARCH_WORD_LENGTH} letters, so a query word
 * that long matches any word starting with it, as a prefix does. (A pattern that is all
 * lookahead costs ~10x: the engine can no longer skip to where the first word's letters are.)
 */
function termPattern(term: SearchTerm): RegExp {
  const last = term.words.length - 1
  const [first, ...rest] = term.words.map((word, index) => {
    const open = (index === last && term.prefix) || word.length >= MAX_SEARCH_WORD_LENGTH
    if (index === last) return open ? word : `${word}(?!${LETTER})`
    return open ? `${word}${LETTER}*` : word
  })
  const following = rest.length === 0 ? '' : `(?=${BETWEEN}${rest.join(BETWEEN)})`
  return new RegExp(`(?<!${LETTER})${first}${following}`, 'gu')
}

/** Times a term occurs in a ranked part. */
function occurrences(pattern: RegExp, part: string): number {
  let count = 0
  pattern.lastIndex = 0
  while (pattern.exec(part) !== null) count += 1
  return count
}

/**
 * The candidates (newest first, as the stores give them) best first by BM25 over their first
 * {@link RANKED_CHARACTERS} characters (`words`, where given, is their {@link rankedWordCount}):
 * each wanted term (word, phrase or prefix) weighed by how few of the candidates have it,
 * repeats counting less and less, long texts less than short ones; of equal scores, the newer
 * first. The statistics are the candidates' own: a search ranks what it found.
 *
 * @example
 * ```ts
 * rankByRelevance([{ text: 'budget' }, { text: 'budget budget review' }], parsed('budget'))
 * // [{ text: 'budget budget review' }, { text: 'budget' }]
 * ```
 */
export function rankByRelevance<T extends { text: string; words?: number | null }>(
  candidates: readonly T[],
  query: SearchQuery,
): T[] {
  const terms = query.terms.filter((term) => !term.negated).map(termPattern)
  const counted = candidates.map((candidate) => {
    const part = rankedPart(candidate.text)
    return {
      candidate,
      length: candidate.words ?? rankedWordCount(candidate.text),
      counts: terms.map((pattern) => occurrences(pattern, part)),
    }
  })
  const total = Math.max(1, counted.length)
  const averageLength = Math.max(1, counted.reduce((sum, row) => sum + row.length, 0) / total)
  const weights = terms.map((_, i) => {
    const having = counted.filter((row) => (row.counts[i] ?? 0) > 0).length
    return Math.log(1 + (total - having + 0.5) / (having + 0.5))
  })
  const scored = counted.map((row, order) => {
    const norm = K1 * (1 - B + (B * row.length) / averageLength)
    let score = 0
    for (const [i, count] of row.counts.entries())
      score += ((weights[i] ?? 0) * (count * (K1 + 1))) / (count + norm)
    return { candidate: row.candidate, score, order }
  })
  scored.sort((a, b) => b.score - a.score || a.order - b.order)
  return scored.map((row) => row.candidate)
}
