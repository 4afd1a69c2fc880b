/**
 * The same seed as {@link seedStore}, into the PostgreSQL database the server migrated: the
 * same ids, names, statuses and times, so that both stores answer the same bytes. Written in
 * batches of many rows per INSERT (`unnest` of one array per column), one transaction a batch.
 */
import pg from 'pg'
import {
  seedMessageId,
  seedSessionId,
  TEN_MESSAGE_SESSION_ID,
  tenMessageId,
} from '../seed/seed-ids.ts'
import { SEED_SPACING_MS, type SeedRange, type SeedReport } from '../seed/seed-store.ts'

/** The anonymous owner: every request of a server without API keys is its. */
const OWNER = 'anonymous'

/** Column and its PostgreSQL array type for `unnest`; the rest keep their defaults. */
const SESSION_COLUMNS = [
  ['id', 'text'],
  ['owner', 'text'],
  ['agent_id', 'text'],
  ['name', 'text'],
  ['status', 'text'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
] as const
const MESSAGE_COLUMNS = [
  ['id', 'text'],
  ['session_id', 'text'],
  ['position', 'integer'],
  ['role', 'text'],
  ['text', 'text'],
  ['created_at', 'bigint'],
] as const

type Columns = readonly (readonly [string, string])[]
type Value = string | number | null

const BATCH = 20_000

const insertSql = (table: string, columns: Columns) =>
  `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) SELECT * FROM unnest(${columns
    .map(([, type], i) => `$${i + 1}::${type}[]`)
    .join(', ')})`

/**
 * Checks, against the migrated schema (information_schema), that `table` has every column the
 * seed writes and that none it leaves out needs a value; the run columns (run_id, lease…) and
 * event_seq are left NULL / 0, as for a session with no run going on.
 */
async function checkColumns(client: pg.Client, table: string, columns: Columns): Promise<void> {
  const { rows } = await client.query<{
    column_name: string
    is_nullable: string
    column_default: string | null
  }>(
    `SELECT column_name, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  if (rows.length === 0) {
    throw new Error(`The server's PostgreSQL schema has no table '${table}': did it migrate?`)
  }
  const written = columns.map(([name]) => name)
  const unknown = written.filter((name) => !rows.some((row) => row.column_name === name))
  const required = rows
    .filter((row) => row.is_nullable === 'NO' && row.column_default === null)
    .map((row) => row.column_name)
    .filter((name) => !written.includes(name))
  if (unknown.length > 0 || required.length > 0) {
    throw new Error(
      `The PostgreSQL seed no longer matches table '${table}'` +
        (unknown.length > 0 ? `; gone: ${unknown.join(', ')}` : '') +
        (required.length > 0 ? `; new and required: ${required.join(', ')}` : '') +
        '. Update bench/src/pg/seed-postgres.ts.',
    )
  }
}

class Batch {
  readonly arrays: Value[][]
  constructor(readonly columns: Columns) {
    this.arrays = columns.map(() => [])
  }
  get size(): number {
    return this.arrays[0]?.length ?? 0
  }
  push(...values: Value[]): void {
    for (const [i, value] of values.entries()) this.arrays[i]?.push(value)
  }
  clear(): void {
    for (const array of this.arrays) array.length = 0
  }
}

/**
 * Appends seeded sessions `from`…`to - 1` (and their messages) to the database at `url`, which
 * the server must have migrated; ANALYZEs the tables after, as autovacuum would soon.
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
    await checkColumns(client, 'sessions', SESSION_COLUMNS)
    await checkColumns(client, 'messages', MESSAGE_COLUMNS)
    const sessions = new Batch(SESSION_COLUMNS)
    const messages = new Batch(MESSAGE_COLUMNS)
    let messageCount = 0
    const flush = async () => {
      if (sessions.size === 0) return
      await client.query('BEGIN')
      // Sessions first: messages reference them.
      await client.query(insertSql('sessions', SESSION_COLUMNS), sessions.arrays)
      await client.query(insertSql('messages', MESSAGE_COLUMNS), messages.arrays)
      await client.query('COMMIT')
      sessions.clear()
      messages.clear()
    }
    for (let i = range.from; i < range.to; i++) {
      const updatedAt = range.newest - i * SEED_SPACING_MS
      const createdAt = updatedAt - 2_000
      const id = seedSessionId(i)
      const prompt = `Plan a user interview about onboarding #${i}: who to invite, what to ask, how long.`
      const answered = i % 2 === 0
      sessions.push(
        id,
        OWNER,
        'echo',
        `Plan a user interview about onboarding #${i}`,
        answered ? 'Ready' : 'Flushed',
        answered ? null : 'interrupted',
        answered ? null : 'The server stopped during the run',
        createdAt,
        updatedAt,
      )
      messages.push(seedMessageId(i, 0), id, 0, 'user', prompt, createdAt)
      messageCount += 1
      if (answered) {
        messages.push(seedMessageId(i, 1), id, 1, 'assistant', `You said: ${prompt}`, updatedAt)
        messageCount += 1
      }
      if (sessions.size >= BATCH) await flush()
    }
    if (range.withTenMessageSession) {
      const updatedAt = range.newest - 90 * 86_400_000
      const createdAt = updatedAt - 9 * 60_000
      sessions.push(
        TEN_MESSAGE_SESSION_ID,
        OWNER,
        'echo',
        'Compare three onboarding flows for the mobile app',
        'Ready',
        null,
        null,
        createdAt,
        updatedAt,
      )
      for (let position = 0; position < 10; position++) {
        const user = position % 2 === 0
        const text = user
          ? `Compare three onboarding flows for the mobile app, round ${position / 2 + 1}: which one gets people to their first session fastest?`
          : `You said: compare three onboarding flows, round ${(position + 1) / 2}. The second flow asks for the least before the first session.`
        messages.push(
          tenMessageId(position),
          TEN_MESSAGE_SESSION_ID,
          position,
          user ? 'user' : 'assistant',
          text,
          createdAt + position * 60_000,
        )
      }
      messageCount += 10
    }
    await flush()
    await client.query('ANALYZE sessions, messages')
    const count = range.to - range.from + (range.withTenMessageSession ? 1 : 0)
    return { sessions: count, messages: messageCount, ms: performance.now() - started }
  } finally {
    await client.end()
  }
}
