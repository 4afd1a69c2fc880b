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
