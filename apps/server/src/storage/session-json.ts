/**
 * The API's JSON text of a session, its messages and a summary, written straight from a store's
 * raw rows (arrays), for the stores' JSON reads (`JsonReads`): SQLite's
 * (`sqlite/sqlite-json-reads.ts`) and PostgreSQL's (`postgres/pg-reads.ts`) read their rows in
 * the layouts below and share the writing. Which fields each part has and in what order is the
 * presenters' (`http/presenters.ts`): `test/json-reads.test.ts` and `test/pg-reads.test.ts` hold
 * both to the same bytes.
 */
import { messagePreview } from '../domain/message-preview.ts'
import { branchTo } from '../domain/message-tree.ts'
import type { AgentJson, SummaryJson } from '../domain/session-store.ts'
import { jsonChars, jsonStringOrNull, jsonTime } from './json-text.ts'

/** A raw row: its columns by place. */
export type Row = unknown[]

/** The columns of a session the wire shows (and its queued count), in the places below. */
export const SESSION_COLUMN_NAMES = [
  'id',
  'agent_id',
  'name',
  'created_at',
  'updated_at',
  'status',
  'routine_id',
  'error_code',
  'error_message',
  'model_calls',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'usage_estimated',
  'pinned',
  'archived',
  'tags',
  'metadata',
  'active_leaf_id',
  'queued_count',
] as const
export const S_ID = 0
const S_AGENT = 1
const S_NAME = 2
const S_CREATED = 3
export const S_UPDATED = 4
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
export const S_QUEUED = 19

/** A message's columns with its rating (`message_feedback`'s), in the places below. */
export const MESSAGE_COLUMN_NAMES = [
  'm.id',
  'm.parent_id',
  'm.role',
  'm.text',
  'm.created_at',
  'm.input_tokens',
  'm.output_tokens',
  'm.cached_tokens',
  'm.usage_estimated',
  'f.rating',
  'f.comment',
  'f.updated_at',
] as const
const M_ID = 0
const M_PARENT = 1
const M_ROLE = 2
const M_TEXT = 3
const M_CREATED = 4
const M_INPUT = 5
const M_OUTPUT = 6
const M_CACHED = 7
const M_ESTIMATED = 8
const M_RATING = 9
const M_COMMENT = 10
const M_RATED_AT = 11

/** A file's columns, as `filesByMessage` reads them, in the order of their position. */
export const FILE_COLUMN_NAMES = [
  'message_id',
  'id',
  'name',
  'content_type',
  'size',
  'sha256',
  'session_id',
] as const

/** A queued turn's columns, as `queuedJson` reads them, oldest first. */
export const QUEUED_COLUMN_NAMES = ['id', 'kind', 'text', 'message_id', 'created_at'] as const

// A summary's columns (`summaryJson`), by place.
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

/** A session's usage totals as the wire has them, after its first model call. */
function sessionUsageJson(row: Row): string {
  if (!((row[S_MODEL_CALLS] as number) > 0)) return ''
  return `,"usage":{"input_tokens":${row[S_INPUT]},"output_tokens":${row[S_OUTPUT]},"cached_tokens":${row[S_CACHED]},"estimated":${(row[S_ESTIMATED] as number) > 0}}`
}

/** A message as `toMessage` writes it: files, usage and rating only when it has them. */
function messageJson(row: Row, files: Map<string, string> | undefined): string {
  const parent = row[M_PARENT] as string | null
  let json = `{"id":"${jsonChars(row[M_ID] as string)}","role":"${row[M_ROLE]}","text":"${jsonChars(row[M_TEXT] as string)}","created_at":${jsonTime(row[M_CREATED] as number)},"parent_id":${jsonStringOrNull(parent)}`
  const filesJson = files?.get(row[M_ID] as string)
  if (filesJson !== undefined) json += `,"files":[${filesJson}]`
  if (row[M_INPUT] !== null)
    json += `,"usage":{"input_tokens":${row[M_INPUT]},"output_tokens":${row[M_OUTPUT] ?? 0},"cached_tokens":${row[M_CACHED] ?? 0},"estimated":${row[M_ESTIMATED] === 1}}`
  if (row[M_RATING] !== null) {
    const comment = row[M_COMMENT] as string | null
    json += `,"feedback":{"rating":"${jsonChars(row[M_RATING] as string)}"${comment === null ? '' : `,"comment":"${jsonChars(comment)}"`},"updated_at":${jsonTime(row[M_RATED_AT] as number)}}`
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

/**
 * A session's queued turns as its `queued_turns` field (with the comma before it), from rows
 * of `QUEUED_COLUMN_NAMES`.
 *
 * @example
 * ```ts
 * queuedJson([['q1', 'continue', 'Hi', null, 0]])
 * // ',"queued_turns":[{"id":"q1","kind":"continue","text":"Hi","created_at":"1970-01-01T00:00:00.000Z"}]'
 * ```
 */
export function queuedJson(rows: Row[]): string {
  const turns = rows.map(([id, kind, text, messageId, createdAt]) => {
    let json = `{"id":"${jsonChars(id as string)}","kind":"${kind}"`
    if (text !== null) json += `,"text":"${jsonChars(text as string)}"`
    if (messageId !== null) json += `,"message_id":"${jsonChars(messageId as string)}"`
    return `${json},"created_at":${jsonTime(createdAt as number)}}`
  })
  return `,"queued_turns":[${turns.join(',')}]`
}

/**
 * A session as `toSession` writes it, from its row (`SESSION_COLUMN_NAMES`), all its messages'
 * rows (`MESSAGE_COLUMN_NAMES`, every branch, in the order of writing), its files' JSON by
 * message (`filesByMessage`) and its queued turns' field (`queuedJson`, or nothing).
 *
 * @example
 * ```ts
 * sessionJson(row, messageRows, filesByMessage(fileRows)) // '{"id":"…","agent_id":…}'
 * ```
 */
export function sessionJson(
  row: Row,
  messages: Row[],
  files: Map<string, string> | undefined,
  queued = '',
): string {
  const id = row[S_ID] as string
  let json = `{"id":"${jsonChars(id)}","agent_id":"${jsonChars(row[S_AGENT] as string)}","name":"${jsonChars(row[S_NAME] as string)}","created_at":${jsonTime(row[S_CREATED] as number)},"updated_at":${jsonTime(row[S_UPDATED] as number)},"status":"${row[S_STATUS]}","routine_id":${jsonStringOrNull(row[S_ROUTINE] as string | null)},"messages":[`
  const branch = branchOf(messages, row[S_LEAF] as string | null)
  for (let i = 0; i < branch.length; i++) {
    if (i > 0) json += ','
    json += messageJson(branch[i] as Row, files)
  }
  json += ']'
  const code = row[S_ERROR_CODE] as string | null
  if (code !== null)
    json += `,"error":{"code":"${jsonChars(code)}","message":"${jsonChars((row[S_ERROR_MESSAGE] as string | null) ?? '')}"}`
  // Tags and metadata are stored as JSON.stringify wrote them: their text is their JSON.
  return `${json}${sessionUsageJson(row)},"pinned":${row[S_PINNED] === 1},"archived":${row[S_ARCHIVED] === 1},"tags":${row[S_TAGS]},"metadata":${row[S_METADATA]}${queued}}`
}

/**
 * The JSON of each message's files, by message id, from rows of `FILE_COLUMN_NAMES` in the
 * order of their position.
 *
 * @example
 * ```ts
 * filesByMessage([['m1', 'f1', 'a.txt', 'text/plain', 3, 'aa', 's1']]).get('m1')
 * // '{"id":"f1","name":"a.txt",…,"url":"/sessions/s1/files/f1"}'
 * ```
 */
export function filesByMessage(rows: Row[]): Map<string, string> {
  const files = new Map<string, string>()
  for (const row of rows) {
    const messageId = row[0] as string
    const id = row[1] as string
    const json = `{"id":"${jsonChars(id)}","name":"${jsonChars(row[2] as string)}","content_type":"${jsonChars(row[3] as string)}","size":${row[4]},"sha256":"${jsonChars(row[5] as string)}","url":"${jsonChars(`/sessions/${row[6]}/files/${id}`)}"}`
    const before = files.get(messageId)
    files.set(messageId, before === undefined ? json : `${before},${json}`)
  }
  return files
}

/**
 * A summary as `toSummary` writes it, from a row of id, agent_id, updated_at, name, pinned,
 * archived, tags, metadata, the message count, the latest message's time and its first
 * characters (`PREVIEW_SOURCE_CHARACTERS`; both null without messages).
 *
 * @example
 * ```ts
 * summaryJson(row, agentJsonOf(agents)).json // '{"id":"…","agent":{…},…,"message_count":2,…}'
 * ```
 */
export function summaryJson(row: Row, agentJson: AgentJson): SummaryJson {
  const updatedAt = row[U_UPDATED] as number
  let json = `{"id":"${jsonChars(row[U_ID] as string)}","agent":${agentJson(row[U_AGENT] as string)},"updated_at":${jsonTime(updatedAt)},"name":"${jsonChars(row[U_NAME] as string)}","pinned":${row[U_PINNED] === 1},"archived":${row[U_ARCHIVED] === 1},"tags":${row[U_TAGS]},"metadata":${row[U_METADATA]},"message_count":${row[U_COUNT]}`
  if (row[U_LAST_AT] !== null)
    json += `,"last_message_at":${jsonTime(row[U_LAST_AT] as number)},"last_message_preview":"${jsonChars(messagePreview(row[U_LAST_START] as string))}"`
  return { updatedAt: new Date(updatedAt), json: `${json}}` }
}
