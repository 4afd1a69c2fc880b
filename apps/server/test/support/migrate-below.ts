/**
 * A database migrated step by step, for the tests of a migration: the migrations named below
 * one (those a store had before it), then, called again without `below`, the rest.
 */
import type { Kysely } from 'kysely'
import { Migrator } from 'kysely/migration'
import { expect } from 'vitest'
import { migrationsFor } from '../../src/storage/kysely/migrations.ts'
import type { Dialect } from '../../src/storage/kysely/schema.ts'

/**
 * Applies `dialect`'s migrations whose names sort below `below` (all of them without it).
 *
 * @example
 * ```ts
 * await migrateBelow(db, 'sqlite', '0057') // a store as it was before 0057
 * await migrateBelow(db, 'sqlite') // and then 0057 and after
 * ```
 */
export async function migrateBelow(
  db: Kysely<unknown>,
  dialect: Dialect,
  below?: string,
): Promise<void> {
  const migrations = Object.fromEntries(
    Object.entries(migrationsFor(dialect)).filter(([name]) => below === undefined || name < below),
  )
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  }).migrateToLatest()
  expect(error).toBeUndefined()
}
