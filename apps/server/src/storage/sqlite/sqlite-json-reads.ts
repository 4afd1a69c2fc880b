/**
 * `get_session`, `get_sessions` and `get_grouped_sessions` as JSON text straight from SQLite's
 * rows (see `JsonReads`). Measured (issue 21, docs/performance.md): without the read cache, a
 * list page spent most of our own code's time turning rows into records, records into wire
 * objects and those into JSON, and building each query with Kysely. Here each statement is
 * prepared once per shape and reads only the columns the answer shows, as arrays
 * (`stmt.raw()`), and each row is written once, as the JSON text of its part of the answer
 * (`session-json.ts`, shared with PostgreSQL's reads). `test/json-reads.test.ts` holds the text
 * to the presenters' bytes.
 *
 * Every parameter is written `+?`, not `?`. SQLite's planner reads a bare `?` it can plan with
 * (a `LIMIT ?`, a 0/1 compared to a column outside the index, a term checked against a partial
 * index) and marks the statement to be prepared again whenever that parameter is bound anew,
 * which here is every read: a `perf` profile of an uncached get had 12.6% of the server's CPU
 * in `sqlite3Reprepare`. `+?` is the same value (unary plus is a no-op in SQLite), the plans are
 * the same (`EXPLAIN QUERY PLAN`), and nothing is prepared twice.
 */
import type Database from 'better-sqlite3'
import type { Kysely } from 'kysely'
import type { JsonReads, SessionCursor, SessionFilter } from '../../domain/session-store.ts'
import type { Database as Schema } from '../kysely/schema.ts'
import { UNARCHIVED } from '../kysely/session-lists.ts'
import {
  FILE_COLUMN_NAMES,
  filesByMessage,
  MESSAGE_COLUMN_NAMES,
  QUEUED_COLUMN_NAMES,
  queuedJson,
  type Row,
  S_ID,
  S_QUEUED,
  S_UPDATED,
  SESSION_COLUMN_NAMES,
  sessionJson,
  summaryJson,
} from '../session-json.ts'

// The rows of `session-json.ts`'s layouts; a session's `has_files` after its columns
// (migration 0059, `kysely/session-files-flag.ts`), a message's session id after its.
const SESSION_COLUMNS = [...SESSION_COLUMN_NAMES, 'has_files'].join(', ')
const S_HAS_FILES = SESSION_COLUMN_NAMES.length
const MESSAGE_COLUMNS = `${MESSAGE_COLUMN_NAMES.join(', ')}, m.session_id`
const M_SESSION = MESSAGE_COLUMN_NAMES.length
const MESSAGES_FROM = 'FROM messages m LEFT JOIN message_feedback f ON f.message_id = m.id'
const FILE_COLUMNS = FILE_COLUMN_NAMES.join(', ')
// A summary's columns, all the session's: its message count and latest message are kept on
// its row (migration 0050, `kysely/session-activity.ts`), by position as `activityOf` has it
// (not the active leaf); looked up per session they were ~140 µs of a grouped page of 100.
const SUMMARY_COLUMNS = `s.id, s.agent_id, s.updated_at, s.name, s.pinned, s.archived, s.tags,
  s.metadata, s.message_count, s.last_message_at, s.last_message_start`

/** The `WHERE` terms and parameters of `filter` on `sessions` (`alias`), as `filtered` has them. */
function filterTerms(filter: SessionFilter, alias: string): { sql: string; params: unknown[] } {
  let sql = ` AND ${alias}.archived = +?`
  const params: unknown[] = [filter.archived ? 1 : 0]
  // A literal: a plan for the pinned sessions may then walk the index of those only
  // (`sessions_pinned_by_owner_recency`, migration 0058), which a bound value does not prove it
  // may use. Two shapes, each prepared once.
  if (filter.pinned !== undefined) sql += ` AND ${alias}.pinned = ${filter.pinned ? 1 : 0}`
  const label = (kind: string, key: string, value?: string) => {
    sql += ` AND EXISTS (SELECT 1 FROM session_labels WHERE session_labels.session_id = ${alias}.id AND session_labels.kind = +? AND session_labels.key = +?${value === undefined ? '' : ' AND session_labels.value = +?'})`
    params.push(kind, key)
    if (value !== undefined) params.push(value)
  }
  for (const tag of filter.tags) label('tag', tag)
  for (const [key, value] of filter.metadata) label('meta', key, value)
  return { sql, params }
}

/**
 * The JSON reads of the SQLite store over its database file. A read that comes while a
 * transaction is open waits for Kysely's connection (as every query through Kysely does), so it
 * never sees a batch of writes before its commit; otherwise it reads at once.
 *
 * @example
 * ```ts
 * const reads = sqliteJsonReads(sqlite, db)
 * await reads.getSessionJson('anonymous', id) // '{"id":…}'
 * ```
 */
export function sqliteJsonReads(sqlite: Database.Database, db: Kysely<Schema>): JsonReads {
  const statements = new Map<string, Database.Statement>()
  /** The statement of `sql`, prepared once, answering rows as arrays. */
  const statement = (sql: string) => {
    let prepared = statements.get(sql)
    if (!prepared) {
      prepared = sqlite.prepare(sql).raw(true)
      // A few shapes in practice; a bound in case a caller varies its filters without end.
      if (statements.size >= 256) statements.clear()
      statements.set(sql, prepared)
    }
    return prepared
  }
  const all = (sql: string, params: unknown[]) => statement(sql).all(...params) as Row[]
  // Uncommitted rows are only ever on this connection inside a transaction (a batch of writes
  // holds one while it runs): then the read waits for Kysely's connection, as every query
  // through Kysely does, and so never sees the batch before its commit. Outside one there is
  // nothing to wait for: better-sqlite3 reads at once, without an acquire, a release and their
  // turns of the microtask queue (measured, docs/performance.md, "The store path, round of 4
  // December").
  const exclusive = async <T>(read: () => T): Promise<T> =>
    sqlite.inTransaction ? db.connection().execute(async () => read()) : read()

  const oneSessionSql = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = +? AND owner = +?`
  const queuedSql = `SELECT ${QUEUED_COLUMN_NAMES.join(', ')} FROM queued_turns WHERE session_id = +? ORDER BY created_at, id`
  const oneSessionMessagesSql = `SELECT ${MESSAGE_COLUMNS} ${MESSAGES_FROM} WHERE m.session_id = +? ORDER BY m.position`
  const oneSessionFilesSql = `SELECT ${FILE_COLUMNS} FROM files WHERE session_id = +? ORDER BY message_id, position`
  const manyMessagesSql = `SELECT ${MESSAGE_COLUMNS} ${MESSAGES_FROM} WHERE m.session_id IN (SELECT value FROM json_each(?)) ORDER BY m.session_id, m.position`
  const manyFilesSql = `SELECT ${FILE_COLUMNS} FROM files WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, position`

  /** The sessions of `rows`, each with its messages, as the JSON text of each. */
  function sessionsJson(rows: Row[]): string[] {
    if (rows.length === 0) return []
    const single = rows.length === 1
    const ids = single ? (rows[0] as Row)[S_ID] : JSON.stringify(rows.map((row) => row[S_ID]))
    const messageRows = all(single ? oneSessionMessagesSql : manyMessagesSql, [ids])
    const bySession = new Map<string, Row[]>()
    for (const message of messageRows) {
      const sessionId = message[M_SESSION] as string
      const list = bySession.get(sessionId)
      if (list) list.push(message)
      else bySession.set(sessionId, [message])
    }
    // Most sessions never had a file: then there are none to look up.
    const fileRows = rows.some((row) => row[S_HAS_FILES] === 1)
      ? all(single ? oneSessionFilesSql : manyFilesSql, [ids])
      : []
    const files = fileRows.length === 0 ? undefined : filesByMessage(fileRows)
    // Queued turns are rare: read only for the sessions whose row counts some.
    return rows.map((row) =>
      sessionJson(
        row,
        bySession.get(row[S_ID] as string) ?? [],
        files,
        Number(row[S_QUEUED]) > 0 ? queuedJson(all(queuedSql, [row[S_ID]])) : '',
      ),
    )
  }

  return {
    getSessionJson: (owner, id) =>
      exclusive(() => {
        const row = statement(oneSessionSql).get(id, owner) as Row | undefined
        return row && (sessionsJson([row])[0] as string)
      }),

    listSessionsJson: ({ owner, agentId, limit, after, filter = UNARCHIVED }) =>
      exclusive(() => {
        const terms = filterTerms(filter, 'sessions')
        let sql = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE owner = +? AND agent_id = +?${terms.sql}`
        const params: unknown[] = [owner, agentId, ...terms.params]
        if (after) {
          sql += ' AND (updated_at, id) < (+?, +?)'
          params.push(after.updatedAt.getTime(), after.id)
        }
        sql += ' ORDER BY updated_at DESC, id DESC LIMIT +?'
        params.push(limit + 1)
        const rows = all(sql, params)
        const pageRows = rows.slice(0, limit)
        const last = pageRows.at(-1)
        const next: SessionCursor | undefined =
          rows.length > limit && last
            ? { updatedAt: new Date(last[S_UPDATED] as number), id: last[S_ID] as string }
            : undefined
        return { json: `[${sessionsJson(pageRows).join(',')}]`, ...(next && { next }) }
      }),

    recentSessionsJson: ({ owner, agentId, limit, filter = UNARCHIVED, agentJson }) =>
      exclusive(() => {
        const terms = filterTerms(filter, 's')
        let sql = `SELECT ${SUMMARY_COLUMNS} FROM sessions s WHERE s.owner = +?`
        const params: unknown[] = [owner]
        if (agentId !== undefined) {
          sql += ' AND s.agent_id = +?'
          params.push(agentId)
        }
        sql += `${terms.sql} ORDER BY s.updated_at DESC, s.id DESC LIMIT +?`
        params.push(...terms.params, limit)
        return all(sql, params).map((row) => summaryJson(row, agentJson))
      }),
  }
}
