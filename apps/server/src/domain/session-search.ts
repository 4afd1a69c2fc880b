import { parseSearchQuery, type SearchQueryProblem } from './search-query.ts'
import { searchSnippet } from './search-snippet.ts'
import type { SearchHitRecord, SessionFilter, SessionStore } from './session-store.ts'

/** How deep pages of search hits reach: past the best 1,000, a query is to be refined. */
export const MAX_SEARCH_HITS = 1000

/**
 * How many of the matching texts a search ranks: the most recently written ones (that the
 * filters let through). A word in one message in five would otherwise have a store of a
 * million messages rank 200,000 rows for every keystroke; where fewer match, every one is
 * ranked. Every page ranks the same rows, so the pages end with the window. Each row ranked
 * costs ~10 µs (its index rows and text read, its words counted): 500 keep a search of a
 * common word at ~5 ms of CPU.
 */
export const RANKED_WINDOW = 500

/** A hit with its snippet. */
export interface SearchHit extends SearchHitRecord {
  snippet: string
}

export interface SearchResult {
  hits: SearchHit[]
  nextCursor?: string
}

export type SearchProblem = SearchQueryProblem | 'invalid_cursor'

/**
 * A search cursor is the number of hits before the next page (hits are ranked, not ordered
 * by a column, so there is no row to continue after): opaque to clients all the same.
 */
const encodeSearchCursor = (offset: number) => Buffer.from(`hits:${offset}`).toString('base64url')

function decodeSearchCursor(text: string): number | undefined {
  const match = /^hits:([1-9]\d{0,3})$/.exec(Buffer.from(text, 'base64url').toString())
  const offset = match ? Number(match[1]) : Number.NaN
  return offset < MAX_SEARCH_HITS ? offset : undefined
}

/**
 * A page of the owner's hits for the query `q` (see `search-query.ts` for its syntax), best
 * first, after `cursor` (the `nextCursor` of the page before), each with its snippet.
 *
 * @example
 * ```ts
 * await searchSessions(store, { owner: 'alice', q: 'interview -draft', limit: 20 })
 * // { hits: [{ session, message, text, snippet: '…user <mark>interview</mark>…' }], nextCursor }
 * ```
 */
export async function searchSessions(
  store: SessionStore,
  input: {
    owner: string
    q: string
    agentId?: string
    filter?: SessionFilter
    limit: number
    cursor?: string
  },
): Promise<SearchResult | SearchProblem> {
  const query = parseSearchQuery(input.q)
  if (typeof query === 'string') return query
  const offset = input.cursor === undefined ? 0 : decodeSearchCursor(input.cursor)
  if (offset === undefined) return 'invalid_cursor'
  const limit = Math.min(input.limit, MAX_SEARCH_HITS - offset)
  const page = await store.searchSessions({
    owner: input.owner,
    query,
    ...(input.agentId !== undefined && { agentId: input.agentId }),
    ...(input.filter && { filter: input.filter }),
    limit,
    offset,
  })
  const next = offset + limit
  return {
    hits: page.hits.map((hit) => ({ ...hit, snippet: searchSnippet(hit.text, query) })),
    ...(page.more && next < MAX_SEARCH_HITS && { nextCursor: encodeSearchCursor(next) }),
  }
}
