/**
 * Upgrades of a store migrated by an earlier release, whose migrations did not yet include some
 * numbered below its last one (each area numbers its own in a range: docs/architecture.md).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { migrationsFor } from '../src/storage/kysely/migrations.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-migration-order-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('applies a migration numbered below the last one applied, and is ready only then', async () => {
  const path = join(dir, 'uxmate.sqlite')
  const all = migrationsFor('sqlite')
  const names = Object.keys(all).sort()
  // An earlier release: everything but a migration in the middle.
  const skipped = names[Math.floor(names.length / 2)] as string
  const earlier = Object.fromEntries(Object.entries(all).filter(([name]) => name !== skipped))
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) })
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => earlier },
  }).migrateToLatest()
  expect(error).toBeUndefined()
  await db.destroy()

  const store = openSqliteStore(path)
  await expect(store.checkReady()).rejects.toThrow('migrations are not applied')
  await store.migrate()
  await store.checkReady()
  const applied = new Database(path, { readonly: true })
    .prepare('SELECT name FROM kysely_migration ORDER BY name')
    .pluck()
    .all()
  expect(applied).toEqual(names)
  await store.close()
})

it('marks the sessions with siblings of a store made before 0011 as branched: their pages are the active branch', async () => {
  const path = join(dir, 'uxmate.sqlite')
  const all = migrationsFor('sqlite')
  const earlier = Object.fromEntries(
    Object.entries(all).filter(([name]) => name !== '0011_branched_sessions'),
  )
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) })
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => earlier },
  }).migrateToLatest()
  expect(error).toBeUndefined()
  await db.destroy()
  const raw = new Database(path)
  const session = raw.prepare(
    `INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at, active_leaf_id)
     VALUES (?, 'o', 'echo', 'n', 'Ready', 1, 1, ?)`,
  )
  const message = raw.prepare(
    `INSERT INTO messages (id, session_id, position, parent_id, role, text, created_at)
     VALUES (?, ?, ?, ?, ?, 't', 1)`,
  )
  // A chain, and a session whose reply was regenerated (two replies to its first message).
  session.run('chain', 'c2')
  message.run('c1', 'chain', 0, null, 'user')
  message.run('c2', 'chain', 1, 'c1', 'assistant')
  session.run('tree', 't3')
  message.run('t1', 'tree', 0, null, 'user')
  message.run('t2', 'tree', 1, 't1', 'assistant')
  message.run('t3', 'tree', 2, 't1', 'assistant')
  raw.close()

  const store = openSqliteStore(path)
  await store.migrate()
  const flags = new Database(path, { readonly: true })
    .prepare('SELECT id, branched FROM sessions ORDER BY id')
    .all()
  expect(flags).toEqual([
    { id: 'chain', branched: 0 },
    { id: 'tree', branched: 1 },
  ])
  const page = async (sessionId: string) =>
    (await store.listMessages({ owner: 'o', sessionId, order: 'asc', limit: 10 }))?.messages.map(
      (m) => m.id,
    )
  expect(await page('chain')).toEqual(['c1', 'c2'])
  expect(await page('tree')).toEqual(['t1', 't3'])
  await store.close()
})
