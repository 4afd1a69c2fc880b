/**
 * `get_session`, `get_sessions` and `get_grouped_sessions` as JSON text straight from SQLite's
 * rows (see `JsonReads`). Measured (issue 21, docs/performance.md): without the read cache, a
 * list page spent most of our own code's time turning rows into records, records into wire
 * objects and those into JSON, and building each query with Kysely. Here each statement is
 * prepared once per shape and reads only the columns the answer shows, as arrays
 * (`stmt.raw()`), and each row is written once, as the JSON text of its part of the answer.
 * Which fields each part has and in what order is the presenters' (`http/presenters.ts`):
 * `test/json-reads.test.ts` holds both to the same bytes.
 */
import type Database from 'better-sqlite3'
import type { Kysely } from 'kysely'
import { messagePreview, PREVIEW_SOURCE_CHARACTERS } from '../../domain/message-preview.ts'
import { branchTo } from '../../domain/message-tree.ts'
import type {
  JsonReads,
  SessionCursor,
  SessionFilter,
  SummaryJson,
} from '../../domain/session-store.ts'
import type { Database as Schema } from '../kysely/schema.ts'
import { UNARCHIVED } from '../kysely/session-lists.ts'
import { jsonString, jsonStringOrNull, jsonTime } from './json-text.ts'

type Row = unknown[]

// The columns of a session the wire shows, and their places in a raw row.
const SESSION_COLUMNS = `id, agent_id, name, created_at, updated_at, status, routine_id, error_code,
  error_message, model_calls, input_tokens, output_tokens, cached_tokens, usage_estimated, pinned,
  archived, tags, metadata, active_leaf_id, queued_count`
const S_ID = 0
const S_AGENT = 1
const S_NAME = 2
const S_CREATED = 3
const S_UPDATED = 4
const S_STATUS = 5
const S_ROUTINE = 6
const S_ERROR_CODE = 7
const S_ERROR_MESSAGE = 8
const S_MODEL_CALLS = 9
const S_INPUT = 10
const S_OUTPUT = 11
const S_CACHED = 12
const S_ESTIMATED = 13
const S_PINNED = 14
const S_ARCHIVED = 15
const S_TAGS = 16
const S_METADATA = 17
const S_LEAF = 18
const S_QUEUED = 19

// A message's columns with its rating (message_feedback's key is the message id).
const MESSAGE_COLUMNS = `m.session_id, m.id, m.parent_id, m.role, m.text, m.created_at,
  m.input_tokens, m.output_tokens, m.cached_tokens, m.usage_estimated, f.rating, f.comment,
  f.updated_at`
const M_SESSION = 0
const M_ID = 1
const M_PARENT = 2
const M_ROLE = 3
const M_TEXT = 4
const M_CREATED = 5
const M_INPUT = 6
const M_OUTPUT = 7
const M_CACHED = 8
const M_ESTIMATED = 9
const M_RATING = 10
const M_COMMENT = 11
const M_RATED_AT = 12
const MESSAGES_FROM = 'FROM messages m LEFT JOIN message_feedback f ON f.message_id = m.id'

const FILE_COLUMNS = 'message_id, id, name, content_type, size, sha256, session_id'

// A summary's columns: the session's, its message count and its latest message.
const SUMMARY_COLUMNS = `s.id, s.agent_id, s.updated_at, s.name, s.pinned, s.archived, s.tags,
  s.metadata, (SELECT count(*) FROM messages WHERE session_id = s.id), l.created_at,
  substr(l.text, 1, ${PREVIEW_SOURCE_CHARACTERS})`
const U_ID = 0
const U_AGENT = 1
const U_UPDATED = 2
const U_NAME = 3
const U_PINNED = 4
const U_ARCHIVED = 5
const U_TAGS = 6
const U_METADATA = 7
const U_COUNT = 8
const U_LAST_AT = 9
const U_LAST_START = 10

/** The `WHERE` terms and parameters of `filter` on `sessions` (`alias`), as `filtered` has them. */
function filterTerms(filter: SessionFilter, alias: string): { sql: string; params: unknown[] } {
  let sql = ` AND ${alias}.archived = ?`
  const params: unknown[] = [filter.archived ? 1 : 0]
  if (filter.pinned !== undefined) {
    sql += ` AND ${alias}.pinned = ?`
    params.push(filter.pinned ? 1 : 0)
  }
  const label = (kind: string, key: string, value?: string) => {
    sql += ` AND EXISTS (SELECT 1 FROM session_labels WHERE session_labels.session_id = ${alias}.id AND session_labels.kind = ? AND session_labels.key = ?${value === undefined ? '' : ' AND session_labels.value = ?'})`
    params.push(kind, key)
    if (value !== undefined) params.push(value)
  }
  for (const tag of filter.tags) label('tag', tag)
  for (const [key, value] of filter.metadata) label('meta', key, value)
  return { sql, params }
}

/** A session's usage totals as the wire has them, after its first model call. */
function sessionUsageJson(row: Row): string {
  if (!((row[S_MODEL_CALLS] as number) > 0)) return ''
  return `,"usage":{"input_tokens":${row[S_INPUT]},"output_tokens":${row[S_OUTPUT]},"cached_tokens":${row[S_CACHED]},"estimated":${(row[S_ESTIMATED] as number) > 0}}`
}

/** A message as `toMessage` writes it: files, usage and rating only when it has them. */
function messageJson(row: Row, files: Map<string, string> | undefined): string {
  const parent = row[M_PARENT] as string | null
  let json = `{"id":${jsonString(row[M_ID] as string)},"role":"${row[M_ROLE]}","text":${jsonString(row[M_TEXT] as string)},"created_at":${jsonTime(row[M_CREATED] as number)},"parent_id":${jsonStringOrNull(parent)}`
  const filesJson = files?.get(row[M_ID] as string)
  if (filesJson !== undefined) json += `,"files":[${filesJson}]`
  if (row[M_INPUT] !== null)
    json += `,"usage":{"input_tokens":${row[M_INPUT]},"output_tokens":${row[M_OUTPUT] ?? 0},"cached_tokens":${row[M_CACHED] ?? 0},"estimated":${row[M_ESTIMATED] === 1}}`
  if (row[M_RATING] !== null) {
    const comment = row[M_COMMENT] as string | null
    json += `,"feedback":{"rating":${jsonString(row[M_RATING] as string)}${comment === null ? '' : `,"comment":${jsonString(comment)}`},"updated_at":${jsonTime(row[M_RATED_AT] as number)}}`
  }
  return `${json}}`
}

/** The active branch of a session's messages (all of them, in the order of writing). */
function branchOf(messages: Row[], leafId: string | null): Row[] {
  // Most sessions are one chain ending at the active leaf: then the branch is all of them.
  const last = messages.length - 1
  let chain = last >= 0 && messages[0]?.[M_PARENT] === null && messages[last]?.[M_ID] === leafId
  for (let i = 1; chain && i <= last; i++)
    chain = (messages[i] as Row)[M_PARENT] === (messages[i - 1] as Row)[M_ID]
  if (chain) return messages
  const nodes = messages.map((row) => ({
    id: row[M_ID] as string,
    parentId: row[M_PARENT] as string | null,
    row,
  }))
  return branchTo(nodes, leafId).map((node) => node.row)
}

/** A session with its messages as `toSession` writes it. */
/** A session's queued turns as `queued_turns` JSON, from rows of `QUEUED_SQL`. */
function queuedJson(rows: Row[]): string {
  const turns = rows.map(([id, kind, text, messageId, createdAt]) => {
    let json = `{"id":${jsonString(id as string)},"kind":"${kind}"`
    if (text !== null) json += `,"text":${jsonString(text as string)}`
    if (messageId !== null) json += `,"message_id":${jsonString(messageId as string)}`
    return `${json},"created_at":${jsonTime(createdAt as number)}}`
  })
  return `,"queued_turns":[${turns.join(',')}]`
}

function sessionJson(
  row: Row,
  messages: Row[],
  files: Map<string, string> | undefined,
  queued = '',
): string {
  const id = row[S_ID] as string
  let json = `{"id":${jsonString(id)},"agent_id":${jsonString(row[S_AGENT] as string)},"name":${jsonString(row[S_NAME] as string)},"created_at":${jsonTime(row[S_CREATED] as number)},"updated_at":${jsonTime(row[S_UPDATED] as number)},"status":"${row[S_STATUS]}","routine_id":${jsonStringOrNull(row[S_ROUTINE] as string | null)},"messages":[`
  const branch = branchOf(messages, row[S_LEAF] as string | null)
  for (let i = 0; i < branch.length; i++) {
    if (i > 0) json += ','
    json += messageJson(branch[i] as Row, files)
  }
  json += ']'
  const code = row[S_ERROR_CODE] as string | null
  if (code !== null)
    json += `,"error":{"code":${jsonString(code)},"message":${jsonString((row[S_ERROR_MESSAGE] as string | null) ?? '')}}`
  // Tags and metadata are stored as JSON.stringify wrote them: their text is their JSON.
  return `${json}${sessionUsageJson(row)},"pinned":${row[S_PINNED] === 1},"archived":${row[S_ARCHIVED] === 1},"tags":${row[S_TAGS]},"metadata":${row[S_METADATA]}${queued}}`
}

/** The JSON of each message's files, by message id, from rows in the order of their position. */
function filesByMessage(rows: Row[]): Map<string, string> {
  const files = new Map<string, string>()
  for (const row of rows) {
    const messageId = row[0] as string
    const id = row[1] as string
    const json = `{"id":${jsonString(id)},"name":${jsonString(row[2] as string)},"content_type":${jsonString(row[3] as string)},"size":${row[4]},"sha256":${jsonString(row[5] as string)},"url":${jsonString(`/sessions/${row[6]}/files/${id}`)}}`
    const before = files.get(messageId)
    files.set(messageId, before === undefined ? json : `${before},${json}`)
  }
  return files
}

/**
 * The JSON reads of the SQLite store over its database file. Each read holds Kysely's
 * connection while it runs (as every query through Kysely does), so it never sees a batch of
 * writes before its commit.
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
  const exclusive = <T>(read: () => T): Promise<T> => db.connection().execute(async () => read())

  const oneSessionSql = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ? AND owner = ?`
  const queuedSql =
    'SELECT id, kind, text, message_id, created_at FROM queued_turns WHERE session_id = ? ORDER BY created_at, id'
  const oneSessionMessagesSql = `SELECT ${MESSAGE_COLUMNS} ${MESSAGES_FROM} WHERE m.session_id = ? ORDER BY m.position`
  const oneSessionFilesSql = `SELECT ${FILE_COLUMNS} FROM files WHERE session_id = ? ORDER BY message_id, position`
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
    const fileRows = all(single ? oneSessionFilesSql : manyFilesSql, [ids])
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
        let sql = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE owner = ? AND agent_id = ?${terms.sql}`
        const params: unknown[] = [owner, agentId, ...terms.params]
        if (after) {
          sql += ' AND (updated_at, id) < (?, ?)'
          params.push(after.updatedAt.getTime(), after.id)
        }
        sql += ' ORDER BY updated_at DESC, id DESC LIMIT ?'
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
        // The latest message by position, as `activityOf` has it (not the active leaf).
        let sql = `SELECT ${SUMMARY_COLUMNS} FROM sessions s LEFT JOIN messages l ON l.session_id = s.id
          AND l.position = (SELECT max(position) FROM messages WHERE session_id = s.id)
          WHERE s.owner = ?`
        const params: unknown[] = [owner]
        if (agentId !== undefined) {
          sql += ' AND s.agent_id = ?'
          params.push(agentId)
        }
        sql += `${terms.sql} ORDER BY s.updated_at DESC, s.id DESC LIMIT ?`
        params.push(...terms.params, limit)
        return all(sql, params).map((row): SummaryJson => {
          const updatedAt = row[U_UPDATED] as number
          let json = `{"id":${jsonString(row[U_ID] as string)},"agent":${agentJson(row[U_AGENT] as string)},"updated_at":${jsonTime(updatedAt)},"name":${jsonString(row[U_NAME] as string)},"pinned":${row[U_PINNED] === 1},"archived":${row[U_ARCHIVED] === 1},"tags":${row[U_TAGS]},"metadata":${row[U_METADATA]},"message_count":${row[U_COUNT]}`
          if (row[U_LAST_AT] !== null)
            json += `,"last_message_at":${jsonTime(row[U_LAST_AT] as number)},"last_message_preview":${jsonString(messagePreview(row[U_LAST_START] as string))}`
          return { updatedAt: new Date(updatedAt), json: `${json}}` }
        })
      }),
  }
}
