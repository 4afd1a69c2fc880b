import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type {
  MessageRecord,
  NewSession,
  NewUserMessage,
  RunOutcome,
  SessionHeader,
  SessionPage,
  SessionRecord,
  SessionStore,
  StoredFile,
} from '../session-store.ts'
import { migrations } from './migrations.ts'
import { sqliteIdempotency } from './sqlite-idempotency.ts'

interface SessionRow {
  id: string
  owner: string
  agent_id: string
  name: string
  routine_id: string | null
  status: SessionRecord['status']
  error_code: string | null
  error_message: string | null
  created_at: number
  updated_at: number
  event_seq: number
}

interface MessageRow {
  id: string
  session_id: string
  role: MessageRecord['role']
  text: string
  created_at: number
}

interface FileRow {
  id: string
  message_id: string
  name: string
  content_type: string
  size: number
  sha256: string
}

const FILE_COLUMNS = 'id, message_id, name, content_type, size, sha256'

function toHeader(row: SessionRow): SessionHeader {
  return {
    id: row.id,
    owner: row.owner,
    agentId: row.agent_id,
    name: row.name,
    routineId: row.routine_id,
    status: row.status,
    error:
      row.error_code === null
        ? null
        : {
            code: row.error_code as NonNullable<SessionRecord['error']>['code'],
            message: row.error_message ?? '',
          },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastEventId: row.event_seq,
  }
}

function toFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    size: row.size,
    sha256: row.sha256,
  }
}

/**
 * The embedded store: one SQLite file in WAL mode, so readers never wait for the writer.
 *
 * @example
 * ```ts
 * const store = openSqliteStore('./data/uxmate.sqlite')
 * await store.migrate()
 * ```
 */
export function openSqliteStore(path: string): SessionStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // FULL makes every acknowledged commit survive a power loss, not only a process crash.
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  // A deleted session's text and files are overwritten, not just unlinked: "delete" means gone
  // from the file too (see deleteSession for the write-ahead log).
  db.pragma('secure_delete = ON')

  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`)

  // Statements are prepared on first use: the tables they name exist only after migrate().
  const prepareStatements = () => ({
    ownSession: db.prepare<[string, string], SessionRow>(
      'SELECT * FROM sessions WHERE id = ? AND owner = ?',
    ),
    messages: db.prepare<[string], MessageRow>(
      'SELECT id, session_id, role, text, created_at FROM messages WHERE session_id = ? ORDER BY position',
    ),
    files: db.prepare<[string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files WHERE session_id = ? ORDER BY message_id, position`,
    ),
    messagesOf: db.prepare<[string], MessageRow>(
      `SELECT id, session_id, role, text, created_at FROM messages
       WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY session_id, position`,
    ),
    filesOf: db.prepare<[string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files
       WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, position`,
    ),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at)
       VALUES (@id, @owner, @agentId, @name, 'Running', @now, @now)`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (id, session_id, position, role, text, created_at)
       VALUES (@id, @sessionId,
         (SELECT COALESCE(MAX(position), -1) + 1 FROM messages WHERE session_id = @sessionId),
         @role, @text, @now)`,
    ),
    insertFile: db.prepare(
      `INSERT INTO files (id, session_id, message_id, position, name, content_type, size, sha256, data)
       VALUES (@id, @sessionId, @messageId, @position, @name, @contentType, @size, @sha256, @data)`,
    ),
    markRunning: db.prepare(
      `UPDATE sessions SET status = 'Running', error_code = NULL, error_message = NULL,
         updated_at = @now WHERE id = @sessionId AND owner = @owner AND status != 'Running'`,
    ),
    finish: db.prepare(
      `UPDATE sessions SET status = @status, error_code = @errorCode, error_message = @errorMessage,
         updated_at = @now, event_seq = @lastEventId WHERE id = @sessionId`,
    ),
    retitle: db.prepare(
      'UPDATE sessions SET name = @name WHERE id = @sessionId AND name = @replaces',
    ),
    rename: db.prepare('UPDATE sessions SET name = @name WHERE id = @sessionId AND owner = @owner'),
    deleteSession: db.prepare<{ sessionId: string; owner: string; force: number }>(
      `DELETE FROM sessions WHERE id = @sessionId AND owner = @owner
         AND (@force = 1 OR status != 'Running')`,
    ),
    deleteAnswers: db.prepare<{ sessionId: string; owner: string }>(
      'DELETE FROM idempotency_keys WHERE session_id = @sessionId AND owner = @owner',
    ),
    reserveEvents: db.prepare<{ sessionId: string; count: number }, { event_seq: number }>(
      `UPDATE sessions SET event_seq = event_seq + @count WHERE id = @sessionId
       RETURNING event_seq`,
    ),
    fileBytes: db.prepare<[number, string, string], { data: Buffer }>(
      'SELECT substr(data, 1, ?) AS data FROM files WHERE session_id = ? AND id = ?',
    ),
    byAgent: db.prepare<[string, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ?
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    byAgentAfter: db.prepare<[string, string, number, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ? AND (updated_at, id) < (?, ?)
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    recent: db.prepare<[string, number], SessionRow>(
      'SELECT * FROM sessions WHERE owner = ? ORDER BY updated_at DESC, id DESC LIMIT ?',
    ),
    recentOfAgent: db.prepare<[string, string, number], SessionRow>(
      `SELECT * FROM sessions WHERE owner = ? AND agent_id = ?
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    file: db.prepare<[string, string, string], FileRow & { data: Buffer<ArrayBuffer> }>(
      `SELECT ${FILE_COLUMNS}, data FROM files WHERE session_id = ? AND id = ?
         AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = files.session_id AND owner = ?)`,
    ),
    flushRunning: db.prepare(
      `UPDATE sessions SET status = 'Flushed', error_code = 'interrupted', error_message = @message,
         updated_at = @now WHERE status = 'Running'`,
    ),
  })
  let statements: ReturnType<typeof prepareStatements> | undefined
  const sql = () => {
    if (!statements) throw new Error('The SQLite store is used before migrate()')
    return statements
  }

  /** Attaches messages (and their files' metadata) to session rows, in two queries. */
  function withMessages(rows: SessionRow[]): SessionRecord[] {
    if (rows.length === 0) return []
    const ids = JSON.stringify(rows.map((row) => row.id))
    const files = new Map<string, StoredFile[]>()
    for (const row of sql().filesOf.all(ids)) {
      const list = files.get(row.message_id) ?? []
      list.push(toFile(row))
      files.set(row.message_id, list)
    }
    const messages = new Map<string, MessageRecord[]>()
    for (const row of sql().messagesOf.all(ids)) {
      const list = messages.get(row.session_id) ?? []
      list.push({
        id: row.id,
        role: row.role,
        text: row.text,
        createdAt: new Date(row.created_at),
        files: files.get(row.id) ?? [],
      })
      messages.set(row.session_id, list)
    }
    return rows.map((row) => ({ ...toHeader(row), messages: messages.get(row.id) ?? [] }))
  }

  function readSession(owner: string, id: string): SessionRecord | undefined {
    const row = sql().ownSession.get(id, owner)
    return row && withMessages([row])[0]
  }

  const createSession = db.transaction((input: NewSession) => {
    const now = input.now.getTime()
    sql().insertSession.run({
      id: input.id,
      owner: input.owner,
      agentId: input.agentId,
      name: input.name,
      now,
    })
    sql().insertMessage.run({
      id: input.message.id,
      sessionId: input.id,
      role: 'user',
      text: input.message.text,
      now,
    })
    input.message.files.forEach((file, position) => {
      sql().insertFile.run({
        id: file.id,
        sessionId: input.id,
        messageId: input.message.id,
        position,
        name: file.name,
        contentType: file.contentType,
        size: file.size,
        sha256: file.sha256,
        data: file.data,
      })
    })
  })

  const startTurn = db.transaction((input: NewUserMessage): 'not_found' | 'busy' | undefined => {
    const now = input.now.getTime()
    const changed = sql().markRunning.run({
      sessionId: input.sessionId,
      owner: input.owner,
      now,
    }).changes
    if (changed === 0)
      return sql().ownSession.get(input.sessionId, input.owner) ? 'busy' : 'not_found'
    sql().insertMessage.run({
      id: input.message.id,
      sessionId: input.sessionId,
      role: 'user',
      text: input.message.text,
      now,
    })
    return undefined
  })

  const finishRun = db.transaction((outcome: RunOutcome): MessageRecord | null => {
    const now = outcome.now.getTime()
    if (outcome.reply) {
      sql().insertMessage.run({
        id: outcome.reply.id,
        sessionId: outcome.sessionId,
        role: 'assistant',
        text: outcome.reply.text,
        now,
      })
    }
    sql().finish.run({
      sessionId: outcome.sessionId,
      status: outcome.status,
      errorCode: outcome.error?.code ?? null,
      errorMessage: outcome.error?.message ?? null,
      lastEventId: outcome.lastEventId,
      now,
    })
    if (outcome.title) sql().retitle.run({ sessionId: outcome.sessionId, ...outcome.title })
    return outcome.reply
      ? { ...outcome.reply, role: 'assistant', createdAt: outcome.now, files: [] }
      : null
  })

  const deleteSession = db.transaction(
    (owner: string, sessionId: string, force: boolean): 'deleted' | 'not_found' | 'busy' => {
      const deleted = sql().deleteSession.run({ sessionId, owner, force: force ? 1 : 0 }).changes
      if (deleted === 0) return sql().ownSession.get(sessionId, owner) ? 'busy' : 'not_found'
      // Stored answers hold the session's messages too.
      sql().deleteAnswers.run({ sessionId, owner })
      return 'deleted'
    },
  )

  return {
    idempotency: sqliteIdempotency(db),

    async migrate() {
      const applied = new Set(
        db
          .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
          .all()
          .map((row) => row.version),
      )
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue
        db.transaction(() => {
          db.exec(migration.sql)
          db.prepare(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
          ).run(migration.version, migration.name, Date.now())
        })()
      }
      statements = prepareStatements()
    },

    async createSession(input) {
      createSession(input)
      return readSession(input.owner, input.id) as SessionRecord
    },

    async getSession(owner, id) {
      return readSession(owner, id)
    },

    async startTurn(input) {
      return startTurn(input) ?? (readSession(input.owner, input.sessionId) as SessionRecord)
    },

    async finishRun(outcome) {
      return { reply: finishRun(outcome) }
    },

    async reserveEventIds(sessionId, count) {
      const row = sql().reserveEvents.get({ sessionId, count })
      if (!row) throw new Error(`No session ${sessionId} to reserve event ids for`)
      return row.event_seq - count + 1
    },

    async renameSession(owner, sessionId, name) {
      if (sql().rename.run({ sessionId, owner, name }).changes === 0) return undefined
      return readSession(owner, sessionId)
    },

    async deleteSession(owner, sessionId, options = {}) {
      const outcome = deleteSession(owner, sessionId, options.force === true)
      // secure_delete zeroed the freed pages, but the write-ahead log still holds the old ones
      // until a checkpoint: fold it into the database and empty it. Deletes are rare.
      if (outcome === 'deleted') db.pragma('wal_checkpoint(TRUNCATE)')
      return outcome
    },

    async getSessionHeader(owner, id) {
      const row = sql().ownSession.get(id, owner)
      return row && toHeader(row)
    },

    async listSessions({ owner, agentId, limit, after }) {
      const rows = after
        ? sql().byAgentAfter.all(owner, agentId, after.updatedAt.getTime(), after.id, limit + 1)
        : sql().byAgent.all(owner, agentId, limit + 1)
      const page: SessionPage = { sessions: withMessages(rows.slice(0, limit)) }
      const last = page.sessions.at(-1)
      if (rows.length > limit && last) page.next = { updatedAt: last.updatedAt, id: last.id }
      return page
    },

    async recentSessions({ owner, agentId, limit }) {
      const rows = agentId
        ? sql().recentOfAgent.all(owner, agentId, limit)
        : sql().recent.all(owner, limit)
      return rows.map(toHeader)
    },

    async getFile(owner, sessionId, fileId) {
      const row = sql().file.get(sessionId, fileId, owner)
      return row && { file: toFile(row), data: row.data }
    },

    async readFileBytes(sessionId, fileId, maxBytes) {
      // substr() counts bytes on a BLOB, so only what is asked for leaves the database.
      return sql().fileBytes.get(maxBytes ?? Number.MAX_SAFE_INTEGER, sessionId, fileId)?.data
    },

    async flushInterruptedRuns(now, message) {
      return sql().flushRunning.run({ now: now.getTime(), message }).changes
    },

    async checkReady() {
      const row = db
        .prepare<[], { version: number | null }>(
          'SELECT MAX(version) AS version FROM schema_migrations',
        )
        .get()
      const latest = migrations.at(-1)?.version ?? 0
      if ((row?.version ?? 0) < latest) throw new Error('migrations are not applied')
    },

    async close() {
      if (db.open) db.close()
    },
  }
}
