/**
 * Search over an owner's session names and message texts: FTS5 on SQLite, tsvector on
 * PostgreSQL (see the `0025_search` migration for how each index is kept). Each engine finds
 * the most recent matches (at most `RANKED_WINDOW`); the server ranks them
 * (`domain/search-rank.ts`), so both answer the same hits in the same order.
 */
import { type Kysely, sql } from 'kysely'
import { RANKED_CHARACTERS, rankByRelevance } from '../../domain/search-rank.ts'
import { RANKED_WINDOW } from '../../domain/session-search.ts'
import type {
  SearchHitPage,
  SessionStore,
  SessionSummaryRecord,
} from '../../domain/session-store.ts'
import { searchVector } from './migrations.ts'
import type { Database, Dialect } from './schema.ts'
import { toOwnedFtsMatch, toTsQuery } from './search-match.ts'
import { filtered, UNARCHIVED } from './session-lists.ts'

type SearchInput = Parameters<SessionStore['searchSessions']>[0]

/**
 * A match as the engines give it: the session, the message (or none: the name), and the first
 * characters of the text, for ranking.
 */
interface CandidateRow {
  session_id: string
  message_id: string | null
  text: string
}

/**
 * Whether the session of the hit (`outer`, a column of the outer query) is one the search
 * looks in: the owner's, of the agent if given, that the list filter lets through.
 */
function searchedSession(db: Kysely<Database>, input: SearchInput, outer: string) {
  const sessions = db
    .selectFrom('sessions')
    .select('sessions.id')
    .where('sessions.id', '=', sql.ref<string>(outer))
    .where('sessions.owner', '=', input.owner)
    .$if(input.agentId !== undefined, (query) =>
      query.where('sessions.agent_id', '=', input.agentId as string),
    )
  // Kysely puts a subquery between parentheses itself.
  return sql`EXISTS ${filtered(sessions, input.filter ?? UNARCHIVED)}`
}

/**
 * SQLite: the owner's matching rows of the index, newest first (the newest row has the lowest
 * key: FTS5 walks the lists of the owner's word and of the query's terms together from their
 * start, skipping ahead in each to the next row all have, and stops), through the filters,
 * at most {@link RANKED_WINDOW} of them, each with the start of its text.
 */
function sqliteCandidates(db: Kysely<Database>, input: SearchInput) {
  return sql<CandidateRow>`
    SELECT search_docs.session_id, search_docs.message_id,
      CASE WHEN search_docs.message_id IS NULL
        THEN (SELECT name FROM sessions WHERE sessions.id = search_docs.session_id)
        ELSE (SELECT substr(text, 1, ${RANKED_CHARACTERS}) FROM messages
          WHERE messages.id = search_docs.message_id)
      END AS text
    FROM search_fts
    JOIN search_docs ON search_docs.doc = search_fts.rowid
    WHERE search_fts MATCH ${toOwnedFtsMatch(input.query, input.owner)}
      AND search_docs.owner = ${input.owner}
      AND ${searchedSession(db, input, 'search_docs.session_id')}
    ORDER BY search_fts.rowid
    LIMIT ${RANKED_WINDOW}`.execute(db)
}

/**
 * PostgreSQL: the owner's matching messages and names, the {@link RANKED_WINDOW} most recent
 * that the filters let through, each with the start of its text. The tsquery is a parameter of
 * each condition rather than a CTE, so that the planner knows how common its words are. GIN has
 * no order: the newest are found by reading every match (docs/performance.md, search).
 */
function postgresCandidates(db: Kysely<Database>, input: SearchInput) {
  const nameVector = sql.raw(searchVector('named.name'))
  const query = toTsQuery(input.query)
  return sql<CandidateRow>`
    SELECT session_id, message_id, text FROM (
      SELECT messages.session_id, messages.id AS message_id,
        left(messages.text, ${RANKED_CHARACTERS}) AS text, messages.created_at AS at
      FROM messages
      WHERE messages.search_vector @@ to_tsquery('simple', ${query})
        AND ${searchedSession(db, input, 'messages.session_id')}
      UNION ALL
      SELECT named.id, NULL, named.name, named.created_at
      FROM sessions AS named
      WHERE ${nameVector} @@ to_tsquery('simple', ${query}) AND named.owner = ${input.owner}
        AND ${searchedSession(db, input, 'named.id')}
    ) AS found
    ORDER BY at DESC, message_id DESC NULLS LAST
    LIMIT ${RANKED_WINDOW}`.execute(db)
}

/**
 * The store's `searchSessions` on either dialect: the window's matches from the index, ranked
 * by the server, the page cut from them, then its sessions and messages by id.
 *
 * @example
 * ```ts
 * const search = createSearch(db, 'sqlite', readSummaries)
 * await search({ owner: 'alice', query: parsed, limit: 20, offset: 0 })
 * ```
 */
export function createSearch(
  db: Kysely<Database>,
  dialect: Dialect,
  summaries: (ids: string[]) => Promise<SessionSummaryRecord[]>,
): (input: SearchInput) => Promise<SearchHitPage> {
  return async (input) => {
    const candidates = dialect === 'sqlite' ? sqliteCandidates : postgresCandidates
    const { rows } = await candidates(db, input)
    const ranked = rankByRelevance(rows, input.query)
    const page = ranked.slice(input.offset, input.offset + input.limit)
    if (page.length === 0) return { hits: [], more: false }
    const sessionIds = [...new Set(page.map((row) => row.session_id))]
    const messageIds = page.flatMap((row) => (row.message_id === null ? [] : [row.message_id]))
    const [sessions, messages] = await Promise.all([
      summaries(sessionIds),
      messageIds.length === 0
        ? []
        : db
            .selectFrom('messages')
            .select(['id', 'role', 'text', 'created_at'])
            .where('id', 'in', messageIds)
            .execute(),
    ])
    const sessionById = new Map(sessions.map((row) => [row.id, row]))
    const messageById = new Map(messages.map((row) => [row.id, row]))
    const found = page.flatMap((row) => {
      const session = sessionById.get(row.session_id)
      const message = row.message_id === null ? undefined : messageById.get(row.message_id)
      // Deleted between the two reads: left out.
      if (!session || (row.message_id !== null && !message)) return []
      return message
        ? [
            {
              session,
              message: {
                id: message.id,
                role: message.role,
                createdAt: new Date(Number(message.created_at)),
              },
              text: message.text,
            },
          ]
        : [{ session, text: session.name }]
    })
    return { hits: found, more: ranked.length > input.offset + input.limit }
  }
}
