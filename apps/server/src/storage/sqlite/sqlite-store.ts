import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteAdapter, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import type { SessionStore } from '../../domain/session-store.ts'
import type { WebhookTargets } from '../../domain/webhooks.ts'
import { trackChanges } from '../change-tracking.ts'
import { createKyselyStore } from '../kysely/kysely-store.ts'
import { FLUSH_PENDING_SEARCH } from '../kysely/migrations.ts'
import type { Database as Schema } from '../kysely/schema.ts'
import type { StorageObserver } from '../storage-observer.ts'
import { groupCommit } from './group-commit.ts'
import { sqliteJsonReads } from './sqlite-json-reads.ts'
import { keepTempInMemory, withTempFiles } from './temp-store.ts'
import { takeWriterLock } from './writer-lock.ts'

/** SQLite runs DDL in transactions too: each migration is applied whole or not at all. */
class SqliteAdapterWithTransactionalDdl extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class StoreSqliteDialect extends SqliteDialect {
  override createAdapter() {
    return new SqliteAdapterWithTransactionalDdl()
  }
}

/** Statements kept prepared, by their SQL: the store's queries are a few dozen shapes. */
const STATEMENT_CACHE_SIZE = 256

/**
 * The database as Kysely uses it, with its statements prepared once and reused (Kysely asks
 * for each query's statement anew, and preparing costs more than running a small query).
 * Kysely runs one query at a time on it, so no statement is ever in use twice at once.
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>()
  return {
    close: () => db.close(),
    prepare(sql) {
      let statement = cache.get(sql)
      if (statement) {
        // Most recently used last: the first entry is the one to evict.
        cache.delete(sql)
      } else {
        statement = db.prepare(sql)
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
      }
      cache.set(sql, statement)
      return statement
    },
  }
}

/** The database file with the store's settings: WAL, durable commits, foreign keys. */
function openDatabase(path: string): Database.Database {
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  // FULL makes every acknowledged commit survive a power loss, not only a process crash.
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  // A deleted session's text and files are overwritten, not just unlinked: "delete" means gone
  // from the file too (see afterDelete for the write-ahead log).
  sqlite.pragma('secure_delete = ON')
  keepTempInMemory(sqlite)
  return sqlite
}

/**
 * The embedded store: one SQLite file in WAL mode, its writes grouped into shared commits (see
 * `groupCommit`). For one server process; several instances share a PostgreSQL store instead.
 * Opening a file takes its writer lock (`takeWriterLock`) first: while a process has the store
 * open, another one opening it gets a `StoreInUseError` and touches nothing; `close()` lets go.
 *
 * @example
 * ```ts
 * const store = openSqliteStore('./data/uxmate.sqlite')
 * await store.migrate()
 * ```
 */
export function openSqliteStore(
  path: string,
  observer: StorageObserver = {},
  options: { webhookTargets?: WebhookTargets } = {},
): SessionStore {
  const onDisk = path !== ':memory:' && path !== ''
  if (onDisk) mkdirSync(dirname(path), { recursive: true })
  // Before the database is opened: a second process must not even switch its journal mode.
  const lock = onDisk ? takeWriterLock(path) : undefined
  let sqlite: Database.Database
  try {
    sqlite = openDatabase(path)
  } catch (error) {
    lock?.release()
    throw error
  }
  const db = new Kysely<Schema>({
    dialect: new StoreSqliteDialect({ database: withStatementCache(sqlite) }),
  })
  const write = groupCommit(db, {
    onCommit: observer.committed?.bind(observer),
    beforeCommit: FLUSH_PENDING_SEARCH,
  })
  const store = createKyselyStore(db, {
    dialect: 'sqlite',
    write,
    webhookTargets: options.webhookTargets,
    // secure_delete zeroed the freed pages, but the write-ahead log still holds the old ones
    // until a checkpoint: fold it into the database and empty it. Deletes are rare. Through
    // Kysely, so that it waits for the connection instead of running inside a batch of writes.
    afterDelete: async () => {
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db)
    },
    // Writes are committed in the order they came: once an empty one has settled, so have
    // those still queued (a request that came in as the server stopped). Kysely then closes
    // the database once its queries are done.
    close: async () => {
      await write(async () => {}).catch(() => {})
      try {
        await db.destroy()
      } finally {
        lock?.release()
      }
    },
  })
  // The process that opened the file is its only writer (the lock above): it sees every change.
  return trackChanges({
    ...store,
    // Then an empty write, whose commit indexes what another connection queued for search
    // while the server was stopped (the bench's seed, for one).
    migrate: () =>
      withTempFiles(sqlite, async () => {
        await store.migrate()
        await write(async () => {})
      }),
    // The reads polled most, as JSON text straight from rows (see `JsonReads`).
    ...sqliteJsonReads(sqlite, db),
  })
}
