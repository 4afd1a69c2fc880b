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
