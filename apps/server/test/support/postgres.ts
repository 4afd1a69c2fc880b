/**
 * The tests' PostgreSQL: `TEST_DATABASE_URL=postgres://user:password@host:port/db`'s server, or
 * else a throwaway embedded one (`@uxmate/test-postgres`), so `pnpm test` needs nothing
 * installed. Each test gets a new database on it from `newDatabase()`.
 */
import { randomBytes } from 'node:crypto'
import { databaseUrl, startEmbeddedPostgres } from '@uxmate/test-postgres'
import pg from 'pg'

export interface TestPostgres {
  /** The server, connected to its `postgres` database: for creating databases. */
  adminUrl: string
  /** A URL of a new, empty database of its own. */
  newDatabase(): Promise<string>
  /** Drops the databases made, and stops the server if it was started here. */
  stop(): Promise<void>
}

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

function databasesOn(adminUrl: string, stopServer: () => Promise<void>): TestPostgres {
  const made: string[] = []
  return {
    adminUrl,
    async newDatabase() {
      const name = `uxmate_test_${randomBytes(6).toString('hex')}`
      try {
        // A copy of the files of an empty template: quicker than writing it through the WAL.
        await onServer(adminUrl, `CREATE DATABASE ${name} TEMPLATE template0 STRATEGY FILE_COPY`)
      } catch {
        // PostgreSQL before 15 (a TEST_DATABASE_URL server) copies files anyway.
        await onServer(adminUrl, `CREATE DATABASE ${name} TEMPLATE template0`)
      }
      made.push(name)
      return databaseUrl(adminUrl, name)
    },
    async stop() {
      try {
        for (const name of made.splice(0))
          await onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
      } finally {
        await stopServer()
      }
    },
  }
}

/**
 * The tests' PostgreSQL: `TEST_DATABASE_URL`'s server, or a new embedded one.
 *
 * @example
 * ```ts
 * let postgres: TestPostgres
 * beforeAll(async () => { postgres = await startTestPostgres() }, 60_000)
 * afterAll(() => postgres.stop())
 * const url = await postgres.newDatabase()
 * ```
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const existing = process.env.TEST_DATABASE_URL?.trim()
  if (existing) return databasesOn(existing, async () => {})
  const server = await startEmbeddedPostgres()
  return databasesOn(server.adminUrl, server.stop)
}
