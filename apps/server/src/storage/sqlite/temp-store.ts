import type Database from 'better-sqlite3'

/**
 * Where SQLite keeps a connection's temporary data: its sub-journal (the pages a savepoint or
 * a statement may have to roll back), transient tables and indexes.
 *
 * In memory while the store serves: each write of a group commit runs in a savepoint of its
 * own, and a sub-journal that outgrows the 64 KiB SQLite buffers in memory spills to a temporary
 * file, whose every page is a write(2): measured while the search triggers wrote FTS5 segments
 * inside each write's savepoint (before 0060), ~300 µs of a create's ~780 µs of statements
 * (docs/performance.md, "Writes have regressed"). A sub-journal is emptied at each release, so
 * in memory it holds one write's pages at most.
 *
 * In files while migrating: a migration's statement may rewrite a whole table (rebuilding the
 * search index rewrites every row of `search_docs`), and its sub-journal would then hold the
 * table's old pages in memory.
 *
 * @example
 * ```ts
 * keepTempInMemory(sqlite)
 * await withTempFiles(sqlite, () => store.migrate())
 * ```
 */
export function keepTempInMemory(sqlite: Database.Database): void {
  sqlite.pragma('temp_store = MEMORY')
}

/** Runs `work` with the connection's temporary data in files, in memory again after. */
export async function withTempFiles<T>(
  sqlite: Database.Database,
  work: () => Promise<T>,
): Promise<T> {
  sqlite.pragma('temp_store = FILE')
  try {
    return await work()
  } finally {
    keepTempInMemory(sqlite)
  }
}
