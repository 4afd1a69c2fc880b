import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { SessionStore } from '../../domain/session-store.ts'
import type { WebhookTargets } from '../../domain/webhooks.ts'
import { createKyselyStore } from '../kysely/kysely-store.ts'
import type { Database } from '../kysely/schema.ts'
import { ownerVersionsOn } from './owner-versions.ts'
import { postgresJsonReads } from './pg-json-reads.ts'
import { createPgPool, type PgPoolOptions } from './pg-pool.ts'
import { postgresReads } from './pg-reads.ts'

export interface PostgresStore {
  store: SessionStore
  /** The same database, for what else lives there (run events). */
  db: Kysely<Database>
  pool: pg.Pool
}

/**
 * The shared store: PostgreSQL, for one or several server instances. Uploaded files are kept in
 * the database too (bytea), so every instance serves them.
 *
 * @example
 * ```ts
 * const { store } = openPostgresStore({ connectionString: 'postgres://localhost/uxmate' })
 * await store.migrate()
 * ```
 */
export function openPostgresStore(
  options: PgPoolOptions & { webhookTargets?: WebhookTargets },
): PostgresStore {
  const pool = createPgPool(options)
  // An idle connection that breaks (the server restarted) must not crash the process: the pool
  // drops it and opens another on the next query.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const store = createKyselyStore(db, {
    dialect: 'postgres',
    webhookTargets: options.webhookTargets,
    close: () => db.destroy(),
  })
  return {
    // The reads of a chat page and a sidebar: one prepared statement each, as records
    // (`pg-reads.ts`) and as the answers' JSON text (`pg-json-reads.ts`).
    // The versions: moved by the database in every write's transaction, whoever writes.
    store: {
      ...store,
      ...postgresReads(pool),
      ...postgresJsonReads(pool),
      changes: ownerVersionsOn(pool),
      readsAtOnce: pool.options.max ?? 10,
    },
    db,
    pool,
  }
}
