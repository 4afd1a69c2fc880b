/**
 * A parsed search query (`domain/search-query.ts`) in each engine's own syntax. Every word is
 * letters and digits only, so quoting it is enough to keep it a word: nothing a user types
 * becomes an operator of FTS5 or of tsquery.
 */
import type { SearchQuery, SearchTerm } from '../../domain/search-query.ts'

const ftsTerm = (term: SearchTerm) => `"${term.words.join(' ')}"${term.prefix ? '*' : ''}`

/**
 * The FTS5 MATCH expression of a query: its terms ANDed, the negated ones taken away.
 *
 * @example
 * ```ts
 * toFtsMatch({ terms: [{ words: ['user', 'int'], prefix: true, negated: false }] })
 * // '("user int"*)'
 * ```
 */
export function toFtsMatch(query: SearchQuery): string {
  const wanted = query.terms.filter((term) => !term.negated).map(ftsTerm)
  const unwanted = query.terms.filter((term) => term.negated).map(ftsTerm)
  return [`(${wanted.join(' AND ')})`, ...unwanted.map((term) => `NOT ${term}`)].join(' ')
}

/**
 * {@link toFtsMatch} in the `body` column only: the index's `owner` column holds the owner's
 * id in hex, a word a query of digits and letters could otherwise match.
 *
 * @example
 * ```ts
 * toBodyFtsMatch(parsed('budget')) // 'body : (("budget"*))'
 * ```
 */
export function toBodyFtsMatch(query: SearchQuery): string {
  return `body : (${toFtsMatch(query)})`
}

const tsTerm = (term: SearchTerm) =>
  term.words
    .map((word, index) => {
      const last = index === term.words.length - 1
      return `'${word}'${last && term.prefix ? ':*' : ''}`
    })
    .join(' <-> ')

/**
 * The tsquery text of a query, for `to_tsquery('simple', …)`: terms ANDed, phrases as `<->`,
 * prefixes as `:*`, negated terms as `!`.
 *
 * @example
 * ```ts
 * toTsQuery({ terms: [{ words: ['draft'], prefix: false, negated: true }, …] }) // "… & !('draft')"
 * ```
 */
export function toTsQuery(query: SearchQuery): string {
  return query.terms
    .map((term) => (term.negated ? `!(${tsTerm(term)})` : `(${tsTerm(term)})`))
    .join(' & ')
}

/**
 * The words every text that matches `query` has whole, space-separated, for PostgreSQL's
 * signature of an entry's words (`search_entry_signature`, migration 0051): the words of its
 * terms that are not negated, but the last word of a prefix (its words are many). Empty when
 * the query has none (a prefix alone, `onbo`): then the signature cannot tell an entry out.
 *
 * @example
 * ```ts
 * requiredWords(parseSearchQuery('"user interview" -draft onbo')) // 'user interview'
 * ```
 */
export function requiredWords(query: SearchQuery): string {
  return query.terms
    .filter((term) => !term.negated)
    .flatMap((term) => (term.prefix ? term.words.slice(0, -1) : term.words))
    .join(' ')
}
