/**
 * A session's message count and latest message kept on its row (migration 0050,
 * `storage/kysely/session-activity.ts`): filled for the sessions there were, and kept by the
 * insert of each message, whatever the order of positions, on both stores.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PREVIEW_SOURCE_CHARACTERS } from '../src/domain/message-preview.ts'
import type { Dialect } from '../src/storage/kysely/schema.ts'
import { createPgPool } from '../src/storage/postgres/pg-pool.ts'
import { migrateBelow } from './support/migrate-below.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

const LONG = `${'x'.repeat(PREVIEW_SOURCE_CHARACTERS)}cut`

const addSession = (db: Kysely<unknown>, id: string) =>
  sql`INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at)
    VALUES (${id}, 'alice', 'echo', ${id}, 'Ready', 1, 1)`.execute(db)

const addMessage = (db: Kysely<unknown>, session: string, position: number, text: string) =>
  sql`INSERT INTO messages (id, session_id, position, role, text, created_at)
    VALUES (${`${session}-${position}`}, ${session}, ${position}, 'user', ${text}, ${1000 + position})`.execute(
    db,
  )

/** Each session's kept columns, and the same counted from its messages. */
async function keptAndCounted(db: Kysely<unknown>) {
  const { rows } = await sql<Record<string, unknown>>`SELECT s.id, s.message_count,
      s.last_message_at, s.last_message_position, s.last_message_start,
      (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS counted,
      l.created_at AS latest_at, l.position AS latest_position,
      substr(l.text, 1, ${sql.lit(PREVIEW_SOURCE_CHARACTERS)}) AS latest_start
    FROM sessions s LEFT JOIN messages l ON l.session_id = s.id
      AND l.position = (SELECT max(position) FROM messages WHERE session_id = s.id)
    ORDER BY s.id`.execute(db)
  // PostgreSQL's bigint and count(*) come back as text.
  const n = (value: unknown) => (value === null ? null : Number(value))
  return rows.map((row) => ({
    kept: [
      row.id,
      n(row.message_count),
      n(row.last_message_at),
      n(row.last_message_position),
      row.last_message_start,
    ],
    counted: [row.id, n(row.counted), n(row.latest_at), n(row.latest_position), row.latest_start],
  }))
}

async function expectKept(db: Kysely<unknown>) {
  const rows = await keptAndCounted(db)
  expect(rows.length).toBeGreaterThan(0)
  for (const { kept, counted } of rows) expect(kept).toEqual(counted)
  return rows
}

/** Before 0050: sessions with none, one and several messages; then 0050 and more writes. */
async function checkStore(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await migrateBelow(db, dialect, '0050')
  for (const id of ['empty', 'one', 'many', 'later']) await addSession(db, id)
  await addMessage(db, 'one', 0, 'only')
  for (const [position, text] of [
    [0, 'first'],
    [2, LONG],
    [1, 'middle'],
  ] as const)
    await addMessage(db, 'many', position, text)
  await migrateBelow(db, dialect)
  const filled = await expectKept(db)
  expect(filled.map((row) => row.kept)).toEqual([
    ['empty', 0, null, null, null],
    ['later', 0, null, null, null],
    ['many', 3, 1002, 2, LONG.slice(0, PREVIEW_SOURCE_CHARACTERS)],
    ['one', 1, 1000, 0, 'only'],
  ])

  // A message below the latest position counts, and leaves the latest as it was.
  await addMessage(db, 'later', 5, 'five')
  await addMessage(db, 'later', 3, 'three')
  await addMessage(db, 'many', 3, 'newest')
  await addMessage(db, 'empty', 0, 'at last')
  const kept = await expectKept(db)
  expect(kept.map((row) => row.kept)).toEqual([
    ['empty', 1, 1000, 0, 'at last'],
    ['later', 2, 1005, 5, 'five'],
    ['many', 4, 1003, 3, 'newest'],
    ['one', 1, 1000, 0, 'only'],
  ])
  // A session's delete takes its messages and its row: nothing else moves.
  await sql`DELETE FROM sessions WHERE id = 'one'`.execute(db)
  expect((await expectKept(db)).map((row) => row.kept[0])).toEqual(['empty', 'later', 'many'])
  await db.destroy()
}

describe('migration 0050_session_activity', () => {
  let dir: string
  let postgres: TestPostgres | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uxmate-session-activity-'))
  })
  afterAll(async () => {
    await postgres?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('fills and keeps the activity of SQLite sessions', async () => {
    const sqlite = new Database(join(dir, 'uxmate.sqlite'))
    sqlite.pragma('foreign_keys = ON')
    await checkStore(new Kysely({ dialect: new SqliteDialect({ database: sqlite }) }), 'sqlite')
  })

  it('fills and keeps the activity of PostgreSQL sessions', { timeout: 120_000 }, async () => {
    postgres = await startTestPostgres()
    const url = await postgres.newDatabase()
    await checkStore(
      new Kysely({
        dialect: new PostgresDialect({ pool: createPgPool({ connectionString: url }) }),
      }),
      'postgres',
    )
  })
})
