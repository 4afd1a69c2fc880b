/**
 * Whether a session has had a file, kept on its row (migration 0059,
 * `storage/kysely/session-files-flag.ts`): set for the sessions that had files before, and by
 * the insert of each file after, on both stores.
 */
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/storage/kysely/schema.ts'
import { migrateBelow } from './support/migrate-below.ts'
import { storeDatabases } from './support/store-databases.ts'

async function addSessionWithMessage(db: Kysely<unknown>, id: string): Promise<void> {
  await sql`INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at)
    VALUES (${id}, 'alice', 'echo', ${id}, 'Ready', 1, 1)`.execute(db)
  await sql`INSERT INTO messages (id, session_id, position, role, text, created_at)
    VALUES (${`${id}-m`}, ${id}, 0, 'user', 'hello', 1)`.execute(db)
}

const addFile = (db: Kysely<unknown>, session: string, id: string) =>
  sql`INSERT INTO files (id, session_id, message_id, position, name, content_type, size, sha256)
    VALUES (${id}, ${session}, ${`${session}-m`}, 0, 'a.txt', 'text/plain', 0, 'x')`.execute(db)

async function flags(db: Kysely<unknown>): Promise<Array<[string, number]>> {
  const { rows } = await sql<{ id: string; has_files: unknown }>`
    SELECT id, has_files FROM sessions ORDER BY id`.execute(db)
  return rows.map((row) => [row.id, Number(row.has_files)])
}

/** Before 0059: a session with a file and one without; then 0059 and more files. */
async function checkStore(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await migrateBelow(db, dialect, '0059')
  for (const id of ['before', 'none', 'later']) await addSessionWithMessage(db, id)
  await addFile(db, 'before', 'f1')
  await migrateBelow(db, dialect)
  expect(await flags(db)).toEqual([
    ['before', 1],
    ['later', 0],
    ['none', 0],
  ])
  await addFile(db, 'later', 'f2')
  await addFile(db, 'later', 'f3')
  await addFile(db, 'before', 'f4')
  expect(await flags(db)).toEqual([
    ['before', 1],
    ['later', 1],
    ['none', 0],
  ])
  await db.destroy()
}

describe.each(storeDatabases())('migration 0059_session_files_flag on $name', (databases) => {
  beforeAll(() => databases.setUp(), 120_000)
  afterAll(() => databases.tearDown(), 60_000)

  it('sets the flag of the sessions with files, and each new file sets it', async () => {
    const db = (await databases.newDatabase()).kysely() as unknown as Kysely<unknown>
    await checkStore(db, databases.dialect)
  })
})
