import Database from 'better-sqlite3'
import { checkInsertColumns } from './schema-columns.ts'
import { seedMessageId, seedSessionId, TEN_MESSAGE_SESSION_ID, tenMessageId } from './seed-ids.ts'

/** The columns the seed writes; the rest keep their defaults (NULL). Checked against the DB. */
const SESSION_COLUMNS = [
  'id',
  'agent_id',
  'name',
  'status',
  'error_code',
  'error_message',
  'created_at',
  'updated_at',
] as const
const MESSAGE_COLUMNS = ['id', 'session_id', 'position', 'role', 'text', 'created_at'] as const

const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`

/** Seeded sessions are 7 minutes apart, newest first: 100 of them span half a day, 1M 13 years. */
export const SEED_SPACING_MS = 7 * 60_000

export interface SeedRange {
  /** First session index to write (0 is the newest). */
  from: number
  /** One past the last index to write. */
  to: number
  /** `updated_at` of session 0, in ms since the epoch; older sessions count back from it. */
  newest: number
  /** Also write the ten-message session (once, with the first range). */
  withTenMessageSession: boolean
}

export interface SeedReport {
  sessions: number
  messages: number
  ms: number
}

/**
 * Appends seeded sessions `from`…`to - 1` to the server's SQLite file, in one transaction with
 * prepared statements. The server must be stopped and must have migrated the file first: the
 * seed only inserts into the tables the server made, and checks their columns before it does.
 *
 * Every session is the echo agent's. Even indexes are `Ready` with a prompt and its reply; odd
 * ones `Flushed` (interrupted) with the prompt alone: 1–2 messages, like most real sessions.
 * Each range is older than the one before, so the newest sessions, those that list and grouped
 * read, are the same at every scale and only the size of the tables changes.
 *
 * @example
 * ```ts
 * seedStore(dbPath, { from: 0, to: 10_000, newest: Date.now(), withTenMessageSession: true })
 * ```
 */
export function seedStore(dbPath: string, range: SeedRange): SeedReport {
  const started = performance.now()
  const db = new Database(dbPath)
  try {
    checkInsertColumns(db, 'sessions', SESSION_COLUMNS)
    checkInsertColumns(db, 'messages', MESSAGE_COLUMNS)
    // The bench owns this file and nothing else has it open: no journal, no fsync, a big cache.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('cache_size = -524288')
    db.pragma('temp_store = MEMORY')

    const insertSession = db.prepare(insertSql('sessions', SESSION_COLUMNS))
    const insertMessage = db.prepare(insertSql('messages', MESSAGE_COLUMNS))
    let messages = 0

    db.transaction(() => {
      for (let i = range.from; i < range.to; i++) {
        const updatedAt = range.newest - i * SEED_SPACING_MS
        const createdAt = updatedAt - 2_000
        const id = seedSessionId(i)
        const prompt = `Plan a user interview about onboarding #${i}: who to invite, what to ask, how long.`
        const answered = i % 2 === 0
        insertSession.run(
          id,
          'echo',
          `Plan a user interview about onboarding #${i}`,
          answered ? 'Ready' : 'Flushed',
          answered ? null : 'interrupted',
          answered ? null : 'The server stopped during the run',
          createdAt,
          updatedAt,
        )
        insertMessage.run(seedMessageId(i, 0), id, 0, 'user', prompt, createdAt)
        messages += 1
        if (answered) {
          insertMessage.run(
            seedMessageId(i, 1),
            id,
            1,
            'assistant',
            `You said: ${prompt}`,
            updatedAt,
          )
          messages += 1
        }
      }
      if (range.withTenMessageSession) messages += seedTenMessageSession(db, range.newest)
    })()

    // Back to the server's journal mode, so that it finds the file as it left it.
    db.pragma('journal_mode = WAL')
    const sessions = range.to - range.from + (range.withTenMessageSession ? 1 : 0)
    return { sessions, messages, ms: performance.now() - started }
  } finally {
    db.close()
  }
}

/** The conversation `GET /sessions/{id}` reads: ten turns, last updated 90 days ago. */
function seedTenMessageSession(db: Database.Database, newest: number): number {
  const updatedAt = newest - 90 * 86_400_000
  const createdAt = updatedAt - 9 * 60_000
  db.prepare(insertSql('sessions', SESSION_COLUMNS)).run(
    TEN_MESSAGE_SESSION_ID,
    'echo',
    'Compare three onboarding flows for the mobile app',
    'Ready',
    null,
    null,
    createdAt,
    updatedAt,
  )
  const insertMessage = db.prepare(insertSql('messages', MESSAGE_COLUMNS))
  for (let position = 0; position < 10; position++) {
    const user = position % 2 === 0
    const text = user
      ? `Compare three onboarding flows for the mobile app, round ${position / 2 + 1}: which one gets people to their first session fastest?`
      : `You said: compare three onboarding flows, round ${(position + 1) / 2}. The second flow asks for the least before the first session.`
    insertMessage.run(
      tenMessageId(position),
      TEN_MESSAGE_SESSION_ID,
      position,
      user ? 'user' : 'assistant',
      text,
      createdAt + position * 60_000,
    )
  }
  return 10
}
