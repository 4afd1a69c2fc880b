/**
 * The same seed as {@link seedStore}, into the PostgreSQL database the server migrated: the same
 * rows ({@link seededSessions}), so that both stores answer the same bytes. Written in batches
 * of many rows per INSERT (`unnest` of one array per column), one transaction a batch.
 */
import pg from 'pg'
import { checkSeedColumns, type SchemaColumn } from '../seed/schema-columns.ts'
import {
  MESSAGE_COLUMNS,
  type MessageRow,
  SESSION_COLUMNS,
  type SeedRange,
  type SessionRow,
  seededSessions,
} from '../seed/seed-rows.ts'
import type { SeedReport } from '../seed/seed-store.ts'

/** Each column's PostgreSQL type, for the array `unnest` reads it from. */
const SESSION_TYPES: Record<keyof SessionRow, string> = {
  id: 'text',
  owner: 'text',
  agent_id: 'text',
  name: 'text',
  status: 'text',
  error_code: 'text',
  error_message: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  pinned: 'integer',
  archived: 'integer',
  active_leaf_id: 'text',
}
const MESSAGE_TYPES: Record<keyof MessageRow, string> = {
  id: 'text',
  session_id: 'text',
  position: 'integer',
  parent_id: 'text',
  role: 'text',
  text: 'text',
  created_at: 'bigint',
}

/** Sessions per INSERT (and transaction). */
const BATCH = 20_000

/** One array per column of `columns`, filled a row at a time. */
class Batch<Row> {
  readonly arrays: Row[keyof Row][][]
  constructor(private readonly columns: readonly (keyof Row)[]) {
    this.arrays = columns.map(() => [])
  }
  get size(): number {
    return this.arrays[0]?.length ?? 0
  }
  push(row: Row): void {
    for (const [i, column] of this.columns.entries()) this.arrays[i]?.push(row[column])
  }
  clear(): void {
    for (const array of this.arrays) array.length = 0
  }
}

function insertSql<Row>(
  table: string,
  columns: readonly (keyof Row & string)[],
  types: Record<keyof Row, string>,
): string {
  const arrays = columns.map((column, i) => `$${i + 1}::${types[column]}[]`)
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`
}

async function schemaColumns(client: pg.Client, table: string): Promise<SchemaColumn[]> {
  const { rows } = await client.query<{
    column_name: string
    is_nullable: string
    column_default: string | null
  }>(
    `SELECT column_name, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  return rows.map((row) => ({
    name: row.column_name,
    required: row.is_nullable === 'NO' && row.column_default === null,
  }))
}

/**
 * Appends the {@link seededSessions} of `range` to the database at `url`, which the server must
 * have migrated; ANALYZEs the tables after, as autovacuum would soon.
 *
 * @example
 * ```ts
 * await seedPostgres(url, { from: 0, to: 10_000, newest: Date.now(), withTenMessageSession: true })
 * ```
 */
export async function seedPostgres(url: string, range: SeedRange): Promise<SeedReport> {
  const started = performance.now()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    checkSeedColumns('sessions', SESSION_COLUMNS, await schemaColumns(client, 'sessions'))
    checkSeedColumns('messages', MESSAGE_COLUMNS, await schemaColumns(client, 'messages'))
    const insertSessions = insertSql('sessions', SESSION_COLUMNS, SESSION_TYPES)
    const insertMessages = insertSql('messages', MESSAGE_COLUMNS, MESSAGE_TYPES)
    const sessions = new Batch<SessionRow>(SESSION_COLUMNS)
    const messages = new Batch<MessageRow>(MESSAGE_COLUMNS)
    let sessionCount = 0
    let messageCount = 0
    const flush = async () => {
      if (sessions.size === 0) return
      await client.query('BEGIN')
      // Sessions first: messages reference them.
      await client.query(insertSessions, sessions.arrays)
      await client.query(insertMessages, messages.arrays)
      await client.query('COMMIT')
      sessions.clear()
      messages.clear()
    }
    for (const seeded of seededSessions(range)) {
      sessions.push(seeded.session)
      for (const message of seeded.messages) messages.push(message)
      sessionCount += 1
      messageCount += seeded.messages.length
      if (sessions.size >= BATCH) await flush()
    }
    await flush()
    await client.query('ANALYZE sessions, messages')
    return { sessions: sessionCount, messages: messageCount, ms: performance.now() - started }
  } finally {
    await client.end()
  }
}
