/**
 * Files stored whole (in `files.data`) before migration 0056 are cut into chunk rows by it, in
 * SQL, and read back byte for byte, on both stores; forks' files keep naming the file that
 * holds their bytes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FILE_CHUNK_BYTES } from '../src/domain/file-chunks.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { migrationsFor } from '../src/storage/kysely/migrations.ts'
import type { Dialect } from '../src/storage/kysely/schema.ts'
import { createPgPool } from '../src/storage/postgres/pg-pool.ts'
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

const OWNER = 'alice'
const big = Uint8Array.from({ length: 2 * FILE_CHUNK_BYTES + 1 }, (_, i) => (i * 31) % 256)
const small = Uint8Array.of(1, 2, 3, 4, 5)
const empty = new Uint8Array(0)

/** Migrates `db` up to the migration before 0056, then stores one session with three files and a fork's copy. */
async function storeWholeFiles(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const before = Object.fromEntries(
    Object.entries(migrationsFor(dialect)).filter(([name]) => name < '0056'),
  )
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => before },
  }).migrateToLatest()
  expect(error).toBeUndefined()
  for (const id of ['s1', 's2'])
    await sql`INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at)
      VALUES (${id}, ${OWNER}, 'echo', ${id}, 'Ready', 1, 1)`.execute(db)
  for (const [id, session] of [
    ['m1', 's1'],
    ['m2', 's2'],
  ])
    await sql`INSERT INTO messages (id, session_id, position, role, text, created_at)
      VALUES (${id}, ${session}, 0, 'user', 'files', 1)`.execute(db)
  const files: Array<[string, string, string, Uint8Array, string | null]> = [
    ['big', 's1', 'm1', big, null],
    ['small', 's1', 'm1', small, null],
    ['empty', 's1', 'm1', empty, null],
    ['copy', 's2', 'm2', empty, 'big'],
  ]
  for (const [position, [id, session, message, data, bytesOf]] of files.entries())
    await sql`INSERT INTO files (id, session_id, message_id, position, name, content_type, size, sha256, data, bytes_of)
      VALUES (${id}, ${session}, ${message}, ${position}, ${id}, 'application/octet-stream',
        ${bytesOf ? big.byteLength : data.byteLength}, 'x', ${Buffer.from(data)}, ${bytesOf})`.execute(
      db,
    )
  await db.destroy()
}

async function expectChunked(store: SessionStore): Promise<void> {
  await store.migrate()
  const read = async (session: string, id: string, maxBytes?: number) =>
    Buffer.from((await store.readFileBytes(session, id, maxBytes)) ?? [])
  expect((await read('s1', 'big')).equals(big)).toBe(true)
  expect(
    (await read('s1', 'big', FILE_CHUNK_BYTES + 2)).equals(big.subarray(0, FILE_CHUNK_BYTES + 2)),
  ).toBe(true)
  expect((await read('s1', 'small')).equals(small)).toBe(true)
  expect((await read('s1', 'empty')).byteLength).toBe(0)
  expect((await read('s2', 'copy')).equals(big)).toBe(true)
  expect(Buffer.from((await store.getFile(OWNER, 's2', 'copy'))?.data ?? []).equals(big)).toBe(true)
  await store.close()
}

describe('migration 0056_file_chunks', () => {
  let dir: string
  let postgres: TestPostgres | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uxmate-file-chunks-'))
  })
  afterAll(async () => {
    await postgres?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('cuts the files of a SQLite store into chunks', async () => {
    const path = join(dir, 'uxmate.sqlite')
    const sqlite = new Database(path)
    await storeWholeFiles(
      new Kysely({ dialect: new SqliteDialect({ database: sqlite }) }),
      'sqlite',
    )
    await expectChunked(openSqliteStore(path))
    const rows = new Database(path, { readonly: true })
      .prepare(
        'SELECT file_id, start, length(data) AS bytes FROM file_chunks ORDER BY file_id, start',
      )
      .all()
    expect(rows).toEqual([
      { file_id: 'big', start: 0, bytes: FILE_CHUNK_BYTES },
      { file_id: 'big', start: FILE_CHUNK_BYTES, bytes: FILE_CHUNK_BYTES },
      { file_id: 'big', start: 2 * FILE_CHUNK_BYTES, bytes: 1 },
      { file_id: 'small', start: 0, bytes: 5 },
    ])
  })

  it('cuts the files of a PostgreSQL store into chunks', { timeout: 120_000 }, async () => {
    postgres = await startTestPostgres()
    const url = await postgres.newDatabase()
    await storeWholeFiles(
      new Kysely({
        dialect: new PostgresDialect({ pool: createPgPool({ connectionString: url }) }),
      }),
      'postgres',
    )
    await expectChunked(openPostgresStore({ connectionString: url }).store)
  })
})
