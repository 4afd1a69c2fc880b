/**
 * The reads a chat page and a sidebar make, on PostgreSQL: a session, a page of an agent's
 * sessions, the most recent sessions (grouped). Each is one statement, so one round trip:
 * a session's messages, their files and ratings come back as one JSON array per session,
 * built by PostgreSQL and parsed once here; the rows come as arrays (`rowMode: 'array'`) of the
 * columns needed, from named statements that each connection prepares once.
 *
 * Measured against the Kysely queries they replace (issue 21, docs/performance.md): those were
 * four round trips for a session (its row, messages, files, ratings), each query built and
 * compiled anew, each row an object then copied into a record. The records are the same
 * (`test/pg-reads.test.ts` compares them), so the answers are the same bytes.
 */
import type pg from 'pg'
import { messagePreview } from '../../domain/message-preview.ts'
import { branchTo } from '../../domain/message-tree.ts'
import type {
  MessageRecord,
  QueuedTurnRecord,
  SessionActivity,
  SessionPage,
  SessionRecord,
  SessionStore,
  SessionSummaryRecord,
  StoredFile,
} from '../../domain/session-store.ts'
import {
  ACTIVITY_COLUMNS,
  listStatement,
  QUEUED_OF_SESSION,
  recentStatement,
  type Statement,
} from './pg-session-queries.ts'

/** What a session's record needs of its row, in this order (`headerOf` reads them by place). */
const SESSION_COLUMNS = `s.id, s.owner, s.agent_id, s.name, s.routine_id, s.status, s.error_code,
  s.error_message, s.created_at, s.updated_at, s.event_seq, s.active_leaf_id, s.run_id,
  s.run_instance, s.run_lease_expires_at, s.pinned, s.archived, s.tags, s.metadata,
  s.model_calls, s.input_tokens, s.output_tokens, s.cached_tokens, s.usage_estimated`

/**
 * Every message of the session `s` (all branches, in the order of writing) as one JSON array
 * of arrays: the message's columns, its files (in their order) and its rating.
 */
const MESSAGES_OF_SESSION = `(SELECT json_agg(json_build_array(
    m.id, m.parent_id, m.role, m.text, m.created_at,
    m.input_tokens, m.output_tokens, m.cached_tokens, m.usage_estimated,
    (SELECT json_agg(json_build_array(f.id, f.name, f.content_type, f.size, f.sha256)
       ORDER BY f.position)
     FROM files f WHERE f.session_id = m.session_id AND f.message_id = m.id),
    fb.rating, fb.comment, fb.updated_at) ORDER BY m.position)
  FROM messages m LEFT JOIN message_feedback fb ON fb.message_id = m.id
  WHERE m.session_id = s.id)`

type Row = unknown[]
/** A message as `MESSAGES_OF_SESSION` gives it. */
type MessageJson = [
  id: string,
  parentId: string | null,
  role: MessageRecord['role'],
  text: string,
  createdAt: number,
  inputTokens: number | null,
  outputTokens: number | null,
  cachedTokens: number | null,
  usageEstimated: number | null,
  files: Array<
    [id: string, name: string, contentType: string, size: number, sha256: string]
  > | null,
  rating: 'up' | 'down' | null,
  comment: string | null,
  ratedAt: number | null,
]

/** Tags and metadata as stored (JSON text); most sessions have neither. */
const tagsOf = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]))
const metadataOf = (json: string): Record<string, string> =>
  json === '{}' ? {} : (JSON.parse(json) as Record<string, string>)

/** The record of a session's row (`SESSION_COLUMNS`), its messages to come. */
function headerOf(row: Row): Omit<SessionRecord, 'messages'> {
  const status = row[5] as SessionRecord['status']
  const errorCode = row[6] as string | null
  const runId = row[12] as string | null
  return {
    id: row[0] as string,
    owner: row[1] as string,
    agentId: row[2] as string,
    name: row[3] as string,
    routineId: row[4] as string | null,
    status,
    error:
      errorCode === null
        ? null
        : {
            code: errorCode as NonNullable<SessionRecord['error']>['code'],
            message: (row[7] as string | null) ?? '',
          },
    createdAt: new Date(row[8] as number),
    updatedAt: new Date(row[9] as number),
    lastEventId: row[10] as number,
    activeLeafId: row[11] as string | null,
    run:
      status === 'Running' && runId !== null
        ? {
            runId,
            instance: (row[13] as string | null) ?? '',
            leaseExpiresAt: new Date((row[14] as number | null) ?? 0),
          }
        : null,
    pinned: row[15] === 1,
    archived: row[16] === 1,
    tags: tagsOf(row[17] as string),
    metadata: metadataOf(row[18] as string),
    ...((row[19] as number) > 0 && {
      usage: {
        inputTokens: row[20] as number,
        outputTokens: row[21] as number,
        cachedTokens: row[22] as number,
        estimated: (row[23] as number) > 0,
      },
    }),
  }
}

function messageOf(m: MessageJson): MessageRecord {
  const files: StoredFile[] =
    m[9]?.map(([id, name, contentType, size, sha256]) => ({
      id,
      name,
      contentType,
      size,
      sha256,
    })) ?? []
  return {
    id: m[0],
    parentId: m[1],
    role: m[2],
    text: m[3],
    createdAt: new Date(m[4]),
    files,
    ...(m[10] !== null && {
      feedback: {
        rating: m[10],
        ...(m[11] !== null && { comment: m[11] }),
        updatedAt: new Date(m[12] ?? 0),
      },
    }),
    ...(m[5] !== null && {
      usage: {
        inputTokens: m[5],
        outputTokens: m[6] ?? 0,
        cachedTokens: m[7] ?? 0,
        estimated: m[8] === 1,
      },
    }),
  }
}

/** The session of a row with its messages' JSON at `at`: the active branch shown. */
function sessionOf(row: Row, at: number): SessionRecord {
  const header = headerOf(row)
  const messages = ((row[at] as MessageJson[] | null) ?? []).map(messageOf)
  // The queued turns follow the messages (`QUEUED_OF_SESSION`); null when none wait.
  const queued = row[at + 1] as QueuedJson[] | null | undefined
  return {
    ...header,
    messages: branchTo(messages, header.activeLeafId),
    ...(queued && { queuedTurns: queued.map(queuedTurnOf) }),
  }
}

/** A queued turn as `QUEUED_OF_SESSION` builds it: id, kind, text, message id, time. */
type QueuedJson = [string, QueuedTurnRecord['kind'], string | null, string | null, number]

const queuedTurnOf = ([id, kind, text, messageId, createdAt]: QueuedJson): QueuedTurnRecord => ({
  id,
  kind,
  text,
  messageId,
  createdAt: new Date(Number(createdAt)),
})

/** The activity of a row whose `ACTIVITY_COLUMNS` start at `at`. */
function activityAt(row: Row, at: number): SessionActivity {
  const messageCount = row[at] as number
  if (row[at + 1] === null) return { messageCount }
  return {
    messageCount,
    lastMessage: {
      createdAt: new Date(row[at + 1] as number),
      preview: messagePreview(row[at + 2] as string),
    },
  }
}

/**
 * The three reads on `pool`, for the store to answer with.
 *
 * @example
 * ```ts
 * const store = { ...createKyselyStore(db, options), ...postgresReads(pool) }
 * ```
 */
export function postgresReads(
  pool: pg.Pool,
): Pick<SessionStore, 'getSession' | 'listSessions' | 'recentSessions'> {
  const query = async (statement: Statement): Promise<Row[]> =>
    (await pool.query<Row>({ ...statement, rowMode: 'array' })).rows

  const GET_SESSION = `SELECT ${SESSION_COLUMNS}, ${MESSAGES_OF_SESSION}, ${QUEUED_OF_SESSION}
    FROM sessions s WHERE s.id = $1 AND s.owner = $2`

  return {
    async getSession(owner, id) {
      const [row] = await query({
        name: 'uxmate_get_session',
        text: GET_SESSION,
        values: [id, owner],
      })
      return row && sessionOf(row, 24)
    },

    async listSessions(page) {
      const { limit, withMessages } = page
      const withText = withMessages !== false
      const rows = await query(
        withText
          ? listStatement(
              page,
              `${SESSION_COLUMNS}, ${MESSAGES_OF_SESSION}, ${QUEUED_OF_SESSION}`,
              'm',
            )
          : listStatement(page, `${SESSION_COLUMNS}, ${ACTIVITY_COLUMNS}`, 'a'),
      )
      const sessions = rows
        .slice(0, limit)
        .map((row) =>
          withText
            ? sessionOf(row, 24)
            : { ...headerOf(row), messages: [], activity: activityAt(row, 24) },
        )
      const result: SessionPage = { sessions }
      const last = sessions.at(-1)
      if (rows.length > limit && last) result.next = { updatedAt: last.updatedAt, id: last.id }
      return result
    },

    async recentSessions(recent) {
      const rows = await query(
        recentStatement(
          recent,
          `s.id, s.agent_id, s.name, s.updated_at, s.pinned, s.archived, s.tags, s.metadata,
            ${ACTIVITY_COLUMNS}`,
          'r',
        ),
      )
      return rows.map(
        (row): SessionSummaryRecord => ({
          activity: activityAt(row, 8),
          id: row[0] as string,
          agentId: row[1] as string,
          name: row[2] as string,
          updatedAt: new Date(row[3] as number),
          pinned: row[4] === 1,
          archived: row[5] === 1,
          tags: tagsOf(row[6] as string),
          metadata: metadataOf(row[7] as string),
        }),
      )
    },
  }
}
