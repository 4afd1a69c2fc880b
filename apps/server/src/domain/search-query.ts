/**
 * The search syntax, parsed by the server itself into terms that the stores turn into an FTS5
 * MATCH or a tsquery: what a user types is never handed to either engine's own parser, so no
 * query can be a syntax error there.
 *
 * - words: `onboarding interview` finds texts with both (in any order);
 * - `"a phrase"`: those words next to each other, in that order;
 * - `-word`, `-"a phrase"`: texts without it;
 * - `word*`: any word starting with it; the last word of a query that does not end with a
 *   space is a prefix too, from two letters on (as-you-type search).
 *
 * A word is a run of letters and digits (any script), compared without case; everything else
 * separates words (`foo-bar` is the phrase `"foo bar"`, as the index reads the text).
 */

/** One condition of a query: a word (a phrase of one) or a phrase, possibly a prefix. */
export interface SearchTerm {
  /** Lowercase words, in order; never empty. */
  words: string[]
  /** The last word matches any word starting with it. */
  prefix: boolean
  /** Texts that match it are left out. */
  negated: boolean
}

export interface SearchQuery {
  /** At least one of them is not negated. */
  terms: SearchTerm[]
}

/** The most terms a query may have, and the longest a word may be (longer ones are cut). */
export const MAX_SEARCH_TERMS = 16
export const MAX_SEARCH_WORD_LENGTH = 64

/** The shortest last word of a query taken as a prefix without a `*`. */
export const MIN_TYPED_PREFIX = 2

export type SearchQueryProblem = 'no_terms' | 'too_many_terms'

const WORD = /[\p{L}\p{N}]+/gu

/** The words of a text as the query compares them: runs of letters and digits, lowercase. */
export function wordsOf(text: string): string[] {
  return [...text.toLowerCase().matchAll(WORD)].map((match) =>
    match[0].slice(0, MAX_SEARCH_WORD_LENGTH),
  )
}

/** The query's pieces before they are words: `-`, a quoted phrase or a bare token, and `*`. */
const PIECE = /(-?)(?:"([^"]*)"?|([^\s"]+))/gu

/**
 * Reads a query typed by a user. Never throws: what cannot be a term (punctuation alone, an
 * empty phrase) is left out, and a query left with no term to find is a problem, not an error.
 *
 * @example
 * ```ts
 * parseSearchQuery('"user interview" -draft onbo')
 * // { terms: [ { words: ['user', 'interview'], prefix: false, negated: false },
 * //            { words: ['draft'], prefix: false, negated: true },
 * //            { words: ['onbo'], prefix: true, negated: false } ] }
 * ```
 */
export function parseSearchQuery(text: string): SearchQuery | SearchQueryProblem {
  const terms: SearchTerm[] = []
  const typingLastWord = !/\s$/u.test(text)
  const pieces = [...text.matchAll(PIECE)]
  for (const [index, piece] of pieces.entries()) {
    const [, minus, phrase, bare] = piece
    const negated = minus === '-'
    const source = phrase ?? bare ?? ''
    const words = wordsOf(source)
    if (words.length === 0) continue
    const isLast = index === pieces.length - 1
    const starred = phrase === undefined && source.endsWith('*')
    // A phrase is exact; a bare word being typed (at the query's end) is a prefix, from two
    // letters on: one would match nearly every text.
    const typed = isLast && typingLastWord && phrase === undefined && !negated
    const prefix = starred || (typed && (words.at(-1) as string).length >= MIN_TYPED_PREFIX)
    terms.push({ words, prefix, negated })
  }
  if (terms.length > MAX_SEARCH_TERMS) return 'too_many_terms'
  if (!terms.some((term) => !term.negated)) return 'no_terms'
  return { terms }
}

/**
 * Whether the words of a text, from `start`, are the term's (the last one as a prefix when the
 * term is one): what the snippet marks.
 */
export function termMatchesAt(term: SearchTerm, words: readonly string[], start: number): boolean {
  return term.words.every((word, offset) => {
    const candidate = words[start + offset]
    if (candidate === undefined) return false
    const last = offset === term.words.length - 1
    return last && term.prefix ? candidate.startsWith(word) : candidate === word
  })
}
