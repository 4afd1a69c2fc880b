import Database from 'better-sqlite3'
import { checkSeedColumns, type SchemaColumn } from './schema-columns.ts'
import { MESSAGE_COLUMNS, SESSION_COLUMNS, type SeedRange, seededSessions } from './seed-rows.ts'

export interface SeedReport {
  sessions: number
  messages: number
  ms: number
}

const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`

function schemaColumns(db: Database.Database, table: string): SchemaColumn[] {
  const info = db.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as {
    name: string
    notnull: number
    dflt_value: unknown
  }[]
  return info.map((column) => ({
    name: column.name,
    required: column.notnull === 1 && column.dflt_value === null,
  }))
}

/**
 * Appends the {@link seededSessions} of `range` to the server's SQLite file, in one transaction
 * with prepared statements. The server must be stopped and must have migrated the file first:
 * the seed only inserts into the tables the server made, and checks their columns before it
 * does.
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
    checkSeedColumns('sessions', SESSION_COLUMNS, schemaColumns(db, 'sessions'))
    checkSeedColumns('messages', MESSAGE_COLUMNS, schemaColumns(db, 'messages'))
    // The bench owns this file and nothing else has it open: no journal, no fsync, a big cache.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('cache_size = -524288')
    db.pragma('temp_store = MEMORY')

    const insertSession = db.prepare(insertSql('sessions', SESSION_COLUMNS))
    const insertMessage = db.prepare(insertSql('messages', MESSAGE_COLUMNS))
    let sessions = 0
    let messages = 0
    db.transaction(() => {
      for (const seeded of seededSessions(range)) {
        // Values as positional arguments: bound by name, or from one array, seeding took ~25%
        // longer.
        insertSession.run(...SESSION_COLUMNS.map((column) => seeded.session[column]))
        for (const message of seeded.messages)
          insertMessage.run(...MESSAGE_COLUMNS.map((column) => message[column]))
        sessions += 1
        messages += seeded.messages.length
      }
    })()

    // Back to the server's journal mode, so that it finds the file as it left it.
    db.pragma('journal_mode = WAL')
    return { sessions, messages, ms: performance.now() - started }
  } finally {
    db.close()
  }
}
