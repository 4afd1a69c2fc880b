/**
 * `get_session`, `get_sessions` and `get_grouped_sessions` as JSON text straight from
 * PostgreSQL's rows (see `JsonReads`), written by the same code as SQLite's
 * (`session-json.ts`). Measured (issue 21, docs/performance.md): PostgreSQL's get and list
 * went rows -> records -> wire objects -> `JSON.stringify`, 2.3-4x what SQLite's JSON reads
 * cost our process. Each read is one named prepared statement (one round trip), each of its
 * rows one JSON array built by PostgreSQL in `session-json.ts`'s layouts: a session's columns,
 * its messages with their ratings, its files and its queued turns.
 */
import type pg from 'pg'
import type { JsonReads, SessionCursor } from '../../domain/session-store.ts'
import { UNARCHIVED } from '../kysely/session-lists.ts'
import {
  FILE_COLUMN_NAMES,
  filesByMessage,
  MESSAGE_COLUMN_NAMES,
  queuedJson,
  type Row,
  S_ID,
  S_UPDATED,
  SESSION_COLUMN_NAMES,
  sessionJson,
  summaryJson,
} from '../session-json.ts'
import {
  ACTIVITY_COLUMNS,
  listStatement,
  pageColumns,
  pageStatement,
  QUEUED_OF_SESSION,
  recentPagesStatement,
  type Statement,
} from './pg-session-queries.ts'

/**
 * A session's columns, then its messages, files and queued turns, each a JSON array of rows
 * (null when it has none): all of it one JSON array, the statement's one column. Measured
 * (issue 21, docs/performance.md): `pg` spends its time per field of a row (~0.3 µs on this
 * machine under load), and a list page was 51 rows of 23 fields; as one field per row, parsed by
 * one `JSON.parse`, our process spent about a third less on a page, PostgreSQL about 15% more.
 * The files only of a session whose row says it has had some (`has_files`, migration 0059, set
 * in the file's own statement): the files' subplan of every session was ~14% of PostgreSQL's
 * CPU a list page by `perf` (a bitmap probe and a sort each), for sessions that mostly have none.
 */
const SESSION_ROW = `json_build_array(${SESSION_COLUMN_NAMES.map((name) => `s.${name}`).join(', ')},
  (SELECT json_agg(json_build_array(${MESSAGE_COLUMN_NAMES.join(', ')}) ORDER BY m.position)
    FROM messages m LEFT JOIN message_feedback f ON f.message_id = m.id
    WHERE m.session_id = s.id),
  CASE WHEN s.has_files = 1 THEN (SELECT json_agg(json_build_array(
      ${FILE_COLUMN_NAMES.map((name) => `d.${name}`).join(', ')}) ORDER BY d.message_id, d.position)
    FROM files d WHERE d.session_id = s.id) END,
  ${QUEUED_OF_SESSION})`
const MESSAGES_AT = SESSION_COLUMN_NAMES.length
const FILES_AT = MESSAGES_AT + 1
const QUEUED_AT = MESSAGES_AT + 2

/** A summary's columns, as `summaryJson` reads them (the activity its row keeps), as one. */
const SUMMARY_ROW = `json_build_array(s.id, s.agent_id, s.updated_at, s.name, s.pinned,
  s.archived, s.tags, s.metadata, ${ACTIVITY_COLUMNS})`

const GET_SESSION: Omit<Statement, 'values'> = {
  name: 'uxmate_get_session_json',
  text: `SELECT ${SESSION_ROW} FROM sessions s WHERE s.id = $1 AND s.owner = $2`,
}

/** The session of a row of `SESSION_ROW`, as `toSession` writes it. */
function rowJson(row: Row): string {
  const files = row[FILES_AT] as Row[] | null
  const queued = row[QUEUED_AT] as Row[] | null
  return sessionJson(
    row,
    (row[MESSAGES_AT] as Row[] | null) ?? [],
    files === null ? undefined : filesByMessage(files),
    queued === null ? '' : queuedJson(queued),
  )
}

/**
 * The JSON reads of the PostgreSQL store on `pool`.
 *
 * @example
 * ```ts
 * const reads = postgresJsonReads(pool)
 * await reads.getSessionJson('anonymous', id) // '{"id":…}'
 * ```
 */
export function postgresJsonReads(pool: pg.Pool): JsonReads {
  /** The rows of a page (`pageStatement`), all in one JSON array: one row, one field. */
  const pageRows = async (statement: Statement): Promise<Row[]> =>
    (await pool.query<[Row[] | null]>({ ...pageStatement(statement), rowMode: 'array' }))
      .rows[0]?.[0] ?? []

  /** `JsonReads.recentSessionsJsonPages`: the pages of all the filters from one statement. */
  const recentPages: NonNullable<JsonReads['recentSessionsJsonPages']> = async ({
    agentJson,
    ...recent
  }) => {
    if (recent.filters.length === 0) return []
    const statement = recentPagesStatement(recent, pageColumns(SUMMARY_ROW), 'j')
    const { rows } = await pool.query<(Row[] | null)[]>({ ...statement, rowMode: 'array' })
    return (rows[0] ?? []).map((page) => (page ?? []).map((row) => summaryJson(row, agentJson)))
  }

  return {
    async getSessionJson(owner, id) {
      const { rows } = await pool.query<[Row]>({
        ...GET_SESSION,
        values: [id, owner],
        rowMode: 'array',
      })
      return rows[0] && rowJson(rows[0][0])
    },

    async listSessionsJson(query) {
      const rows = await pageRows(listStatement(query, pageColumns(SESSION_ROW), 'j'))
      let json = '['
      const count = Math.min(rows.length, query.limit)
      for (let i = 0; i < count; i++) {
        if (i > 0) json += ','
        json += rowJson(rows[i] as Row)
      }
      const last = rows[count - 1]
      const next: SessionCursor | undefined =
        rows.length > query.limit && last
          ? { updatedAt: new Date(last[S_UPDATED] as number), id: last[S_ID] as string }
          : undefined
      return { json: `${json}]`, ...(next && { next }) }
    },

    recentSessionsJson: async ({ filter = UNARCHIVED, ...recent }) =>
      (await recentPages({ ...recent, filters: [filter] }))[0] ?? [],
    recentSessionsJsonPages: recentPages,
  }
}
