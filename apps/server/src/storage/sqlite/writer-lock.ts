import Database from 'better-sqlite3'
import { ConfigError } from '../../config/load-config.ts'

/** Thrown when another process holds the SQLite store's writer lock; the server exits with 2. */
export class StoreInUseError extends ConfigError {
  constructor(readonly databasePath: string) {
    super([
      `the SQLite database ${databasePath} is in use by another uxmate process (a server or ` +
        '`migrate`): one process writes a SQLite file. Stop the other one first, or give this ' +
        'one another DATA_DIR (several instances share a PostgreSQL store instead).',
    ])
    this.name = 'StoreInUseError'
  }
}

export interface WriterLock {
  /** The lock file's path (`<database>.writer-lock`). */
  path: string
  /** Lets the lock go: the next process may open the store. */
  release(): void
}

/**
 * Takes the one-writer lock of the SQLite database at `databasePath`, or throws
 * `StoreInUseError` at once when another process has it.
 *
 * The lock is an OS lock on a file beside the database, `<database>.writer-lock`, taken by
 * SQLite itself: that file is opened as a (empty) SQLite database with `locking_mode=EXCLUSIVE`
 * and one `BEGIN EXCLUSIVE` transaction, after which SQLite keeps its exclusive POSIX lock for
 * as long as the connection is open. The kernel drops that lock when the process ends in any
 * way (SIGKILL, a crash, a power loss), so a dead server never leaves a stale lock behind, as
 * a pid or `mkdir` lock file would; nothing has to be cleaned up or timed out. It is not taken
 * on the database itself because `locking_mode=EXCLUSIVE` there would shut out every other
 * connection, read-only ones included (`sqlite3 .backup`, an operator's look at the file while
 * the server runs, a reader connection of the store's own); the database keeps plain WAL locking
 * for its group commits.
 *
 * @example
 * ```ts
 * const lock = takeWriterLock('./data/uxmate.sqlite') // throws StoreInUseError if taken
 * // ... open and use the store ...
 * lock.release()
 * ```
 */
export function takeWriterLock(databasePath: string): WriterLock {
  const path = `${databasePath}.writer-lock`
  // No busy wait: a second process is told at once rather than after a timeout.
  const lock = new Database(path, { timeout: 0 })
  try {
    lock.pragma('locking_mode = EXCLUSIVE')
    // In exclusive locking mode the lock this takes is kept after the commit, until close.
    lock.exec('BEGIN EXCLUSIVE; COMMIT')
  } catch (error) {
    lock.close()
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new StoreInUseError(databasePath)
    throw error
  }
  return { path, release: () => lock.close() }
}
