import Database from 'better-sqlite3'

export interface SessionRow {
  id: string
  agent_id: string
  name: string
  routine_id: string | null
  status: string
  error_code: string | null
  error_message: string | null
  created_at: number
  updated_at: number
  /** 0 or 1, as the tags and metadata are JSON: what a user set to organise the sidebar. */
  pinned: number
  archived: number
  tags: string
  metadata: string
}

/** What a summary shows of a session's messages: their count and the latest one's start. */
export interface ActivityRow {
  session_id: string
  message_count: number
  created_at: number
  start: string
}

export interface MessageRow {
  id: string
  session_id: string
  parent_id: string | null
  role: string
  text: string
  created_at: number
}

export interface FileRow {
  id: string
  message_id: string
  name: string
  content_type: string
  size: number
  sha256: string
}

/** A session row with its messages and their files' metadata, oldest message first. */
export interface SessionWithMessages {
  row: SessionRow
  messages: { row: MessageRow; files: FileRow[] }[]
}

const FILE_COLUMNS = 'id, message_id, name, content_type, size, sha256'

/**
 * Whose sessions the peer reads: the owner of every request to a server without API keys, as
 * the bench runs ours (and the default of the `owner` column the seed leaves alone).
 */
const OWNER = 'anonymous'

/**
 * The peer's store: the tables our server made, read with the same queries in the same shape
 * (one query for the sessions, one for all their messages, one for all their files), so the
 * comparison is between the HTTP stacks and not between two data access designs.
 *
 * @example
 * ```ts
 * const store = openPeerStore('/tmp/data/uxmate.sqlite')
 * store.getSession('5eed5e55-1000-4000-8000-000000000000')
 * ```
 */
export function openPeerStore(path: string) {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')

  const sql = {
    session: db.prepare<[string, string], SessionRow>(
      'SELECT * FROM sessions WHERE id = ? AND owner = ?',
    ),
    messagesOf: db.prepare<[string], MessageRow>(
      `SELECT id, session_id, parent_id, role, text, created_at FROM messages
       WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY session_id, position`,
    ),
    filesOf: db.prepare<[string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files
       WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, position`,
    ),
    byAgent: db.prepare<[string, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ? AND archived = 0
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    byAgentAfter: db.prepare<[string, string, number, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ? AND archived = 0
       AND (updated_at, id) < (?, ?)
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    recent: db.prepare<[string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND archived = 0
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    recentOfAgent: db.prepare<[string, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ? AND archived = 0
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    recentByPin: db.prepare<[string, number, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND archived = 0 AND pinned = ?
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    activityOf: db.prepare<[string], ActivityRow>(
      `SELECT m.session_id, c.message_count, m.created_at, substr(m.text, 1, 640) AS start
       FROM (SELECT session_id, COUNT(*) AS message_count, MAX(position) AS last_position
             FROM messages WHERE session_id IN (SELECT value FROM json_each(?))
             GROUP BY session_id) c
       JOIN messages m ON m.session_id = c.session_id AND m.position = c.last_position`,
    ),
  }

  function withMessages(rows: SessionRow[]): SessionWithMessages[] {
    if (rows.length === 0) return []
    const ids = JSON.stringify(rows.map((row) => row.id))
    const files = new Map<string, FileRow[]>()
    for (const file of sql.filesOf.all(ids)) {
      const list = files.get(file.message_id)
      if (list) list.push(file)
      else files.set(file.message_id, [file])
    }
    const messages = new Map<string, SessionWithMessages['messages']>()
    for (const message of sql.messagesOf.all(ids)) {
      const entry = { row: message, files: files.get(message.id) ?? [] }
      const list = messages.get(message.session_id)
      if (list) list.push(entry)
      else messages.set(message.session_id, [entry])
    }
    return rows.map((row) => ({ row, messages: messages.get(row.id) ?? [] }))
  }

  return {
    getSession(id: string): SessionWithMessages | undefined {
      const row = sql.session.get(id, OWNER)
      return row && withMessages([row])[0]
    },

    listSessions(agentId: string, limit: number, after?: { updatedAt: number; id: string }) {
      const rows = after
        ? sql.byAgentAfter.all(OWNER, agentId, after.updatedAt, after.id, limit + 1)
        : sql.byAgent.all(OWNER, agentId, limit + 1)
      const sessions = withMessages(rows.slice(0, limit))
      const last = sessions.at(-1)?.row
      const next =
        rows.length > limit && last ? { updatedAt: last.updated_at, id: last.id } : undefined
      return { sessions, next }
    },

    /** The most recent sessions (`pinned`: only those pinned or not), with their activity. */
    recentSessions(agentId: string | undefined, limit: number, pinned?: boolean) {
      const rows =
        pinned !== undefined
          ? sql.recentByPin.all(OWNER, pinned ? 1 : 0, limit)
          : agentId
            ? sql.recentOfAgent.all(OWNER, agentId, limit)
            : sql.recent.all(OWNER, limit)
      const ids = JSON.stringify(rows.map((row) => row.id))
      const activity = new Map(sql.activityOf.all(ids).map((row) => [row.session_id, row]))
      return { rows, activity }
    },
  }
}

export type PeerStore = ReturnType<typeof openPeerStore>
