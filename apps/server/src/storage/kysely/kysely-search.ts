/**
 * Search over an owner's session names and message texts: FTS5 on SQLite, tsvector on
 * PostgreSQL (see the `0025_search` migration for how each index is kept). Both answer the same
 * hits for the same query; only their relevance scores differ (BM25, ts_rank).
 */
import { type Kysely, sql } from 'kysely'
import type {
  SearchHitPage,
  SessionStore,
  SessionSummaryRecord,
} from '../../domain/session-store.ts'
import { searchVector } from './migrations.ts'
import type { Database, Dialect } from './schema.ts'
import { toFtsMatch, toTsQuery } from './search-match.ts'
import { filtered, UNARCHIVED } from './session-lists.ts'

type SearchInput = Parameters<SessionStore['searchSessions']>[0]

/** A hit as the engines give it: the session, the message (or none: the name), the order. */
interface HitRow {
  session_id: string
  message_id: string | null
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

function sqliteHits(db: Kysely<Database>, input: SearchInput, limit: number) {
  // bm25() is lower for better matches; of equal ones, the newer row first.
  return sql<HitRow>`
    SELECT search_docs.session_id, search_docs.message_id
    FROM search_fts
    JOIN search_docs ON search_docs.doc = search_fts.rowid
    WHERE search_fts MATCH ${toFtsMatch(input.query)}
      AND search_docs.owner = ${input.owner}
      AND ${searchedSession(db, input, 'search_docs.session_id')}
    ORDER BY bm25(search_fts), search_docs.doc DESC
    LIMIT ${limit} OFFSET ${input.offset}`.execute(db)
}

function postgresHits(db: Kysely<Database>, input: SearchInput, limit: number) {
  const nameVector = sql.raw(searchVector('named.name'))
  return sql<HitRow>`
    WITH query AS (SELECT to_tsquery('simple', ${toTsQuery(input.query)}) AS q)
    SELECT session_id, message_id FROM (
      SELECT messages.session_id, messages.id AS message_id,
        ts_rank(messages.search_vector, query.q) AS score, messages.created_at AS at
      FROM query, messages
      WHERE messages.search_vector @@ query.q
        AND ${searchedSession(db, input, 'messages.session_id')}
      UNION ALL
      SELECT named.id, NULL, ts_rank(${nameVector}, query.q), named.created_at
      FROM query, sessions AS named
      WHERE ${nameVector} @@ query.q AND named.owner = ${input.owner}
        AND ${searchedSession(db, input, 'named.id')}
    ) AS hits
    ORDER BY score DESC, at DESC, message_id DESC NULLS LAST
    LIMIT ${limit} OFFSET ${input.offset}`.execute(db)
}

/**
 * The store's `searchSessions` on either dialect: the page's hits from the index (one more
 * than asked for, to know whether more follow), then their sessions and messages by id.
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
    const hits = dialect === 'sqlite' ? sqliteHits : postgresHits
    const { rows } = await hits(db, input, input.limit + 1)
    const page = rows.slice(0, input.limit)
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
    return { hits: found, more: rows.length > input.limit }
  }
}
