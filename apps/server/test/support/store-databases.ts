/**
 * Empty databases of each dialect for tests that run the same store tests on SQLite and on
 * PostgreSQL (a throwaway embedded server, or TEST_DATABASE_URL's).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { SessionStore } from '../../src/domain/session-store.ts'
import { FLUSH_PENDING_SEARCH } from '../../src/storage/kysely/migrations.ts'
import type { Database as Schema } from '../../src/storage/kysely/schema.ts'
import { createPgPool } from '../../src/storage/postgres/pg-pool.ts'
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts'
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts'
import { startTestPostgres, type TestPostgres } from './postgres.ts'

export interface TestDatabase {
  /** A store on it (not migrated yet). */
  open(): SessionStore
  /** A bare Kysely instance on it, for what the store does not do (migrating step by step). */
  kysely(): Kysely<Schema>
}

export interface StoreDatabases {
  name: 'SQLite' | 'PostgreSQL'
  dialect: 'sqlite' | 'postgres'
  setUp(): Promise<void>
  tearDown(): Promise<void>
  newDatabase(): Promise<TestDatabase>
}

/**
 * A bare Kysely instance on the SQLite file. The store writes the texts its search triggers
 * queue into FTS5 at each of its commits (`FLUSH_PENDING_SEARCH`); what a test writes beside it
 * is written there when the test lets go of the file, as the store's next commit would.
 */
function bareSqlite(path: string): Kysely<Schema> {
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(path) }) })
  const destroy = db.destroy.bind(db)
  db.destroy = async () => {
    const { rows } = await sql`SELECT 1 FROM sqlite_master WHERE name = 'search_pending'`.execute(
      db,
    )
    if (rows.length > 0) for (const query of FLUSH_PENDING_SEARCH) await sql.raw(query).execute(db)
    await destroy()
  }
  return db
}

function sqliteDatabases(): StoreDatabases {
  const dirs: string[] = []
  return {
    name: 'SQLite',
    dialect: 'sqlite',
    async setUp() {},
    async tearDown() {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
    },
    async newDatabase() {
      const dir = await mkdtemp(join(tmpdir(), 'uxmate-store-'))
      dirs.push(dir)
      const path = join(dir, 'uxmate.sqlite')
      return {
        open: () => openSqliteStore(path),
        kysely: () => bareSqlite(path),
      }
    },
  }
}

function postgresDatabases(): StoreDatabases {
  let postgres: TestPostgres | undefined
  return {
    name: 'PostgreSQL',
    dialect: 'postgres',
    async setUp() {
      postgres = await startTestPostgres()
    },
    async tearDown() {
      await postgres?.stop()
    },
    async newDatabase() {
      if (!postgres) throw new Error('PostgreSQL is not started')
      const url = await postgres.newDatabase()
      return {
        open: () => openPostgresStore({ connectionString: url, max: 4 }).store,
        kysely: () =>
          new Kysely<Schema>({
            dialect: new PostgresDialect({ pool: createPgPool({ connectionString: url, max: 2 }) }),
          }),
      }
    },
  }
}

/**
 * Both dialects, for `describe.each`.
 *
 * @example
 * ```ts
 * describe.each(storeDatabases())('$name', (databases) => { … })
 * ```
 */
export const storeDatabases = (): StoreDatabases[] => [sqliteDatabases(), postgresDatabases()]
