/**
 * Relevance, computed by the server from the texts of the rows a store found, the same on SQLite
 * and PostgreSQL. The engines' own (FTS5's bm25(), ts_rank) were not kept: bm25() counts, once
 * per query, every row of the whole index that has each term (the owner's word included), which
 * costs what the index holds, not what is ranked; and the two engines ranked differently.
 */
import { MAX_SEARCH_WORD_LENGTH, type SearchQuery, termMatchesAt } from './search-query.ts'

/** How much of each text ranking reads: a match past it counts as none. */
export const RANKED_CHARACTERS = 2_000

/** BM25's usual constants: how fast repeats stop counting, and how much length does. */
const K1 = 1.2
const B = 0.75

const WORD = /[\p{L}\p{N}]+/gu

/** A text's words as the query compares them (see `wordsOf`), made with one native match. */
function rankedWords(text: string): string[] {
  const words = text.slice(0, RANKED_CHARACTERS).toLowerCase().match(WORD) ?? []
  for (let i = 0; i < words.length; i++)
    if ((words[i] as string).length > MAX_SEARCH_WORD_LENGTH)
      words[i] = (words[i] as string).slice(0, MAX_SEARCH_WORD_LENGTH)
  return words
}

/** Times a term occurs in a text's words. */
function occurrences(term: SearchQuery['terms'][number], words: readonly string[]): number {
  let count = 0
  const [only] = term.words
  if (term.words.length === 1 && !term.prefix) {
    for (const word of words) if (word === only) count += 1
    return count
  }
  for (let start = 0; start < words.length; start++)
    if (termMatchesAt(term, words, start)) count += 1
  return count
}

/**
 * The candidates (newest first, as the stores give them) best first by BM25 over their first
 * {@link RANKED_CHARACTERS} characters: each wanted term (word, phrase or prefix) weighed by how
 * few of the candidates have it, repeats counting less and less, long texts less than short
 * ones; of equal scores, the newer first. The statistics are the candidates' own: a search
 * ranks what it found.
 *
 * @example
 * ```ts
 * rankByRelevance([{ text: 'budget' }, { text: 'budget budget review' }], parsed('budget'))
 * // [{ text: 'budget budget review' }, { text: 'budget' }]
 * ```
 */
export function rankByRelevance<T extends { text: string }>(
  candidates: readonly T[],
  query: SearchQuery,
): T[] {
  const terms = query.terms.filter((term) => !term.negated)
  const counted = candidates.map((candidate) => {
    const words = rankedWords(candidate.text)
    return { candidate, length: words.length, counts: terms.map((t) => occurrences(t, words)) }
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
