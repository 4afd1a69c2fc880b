import { join } from 'node:path'
import type { ServerConfig } from '../config/config.ts'
import { databaseKind } from '../config/load-config.ts'
import type { Clock } from '../domain/clock.ts'
import type { Logger } from '../domain/logger.ts'
import type { RateBudget } from '../domain/rate-budget.ts'
import type { SessionStore } from '../domain/session-store.ts'
import type { WebhookTargets } from '../domain/webhooks.ts'
import { createPostgresRateBudget } from './postgres/pg-rate-budget.ts'
import { createPostgresRunEvents, type PostgresRunEvents } from './postgres/pg-run-events.ts'
import { openPostgresStore } from './postgres/postgres-store.ts'
import { openSqliteStore } from './sqlite/sqlite-store.ts'
import type { StorageObserver } from './storage-observer.ts'

/** Where the SQLite file is: `DATABASE_URL=sqlite:<path>`, or `<DATA_DIR>/uxmate.sqlite`. */
export function sqlitePath(config: ServerConfig): string {
  return config.databaseUrl?.slice('sqlite:'.length) || join(config.dataDir, 'uxmate.sqlite')
}

export type OpenedStorage =
  | { kind: 'sqlite'; store: SessionStore }
  | {
      kind: 'postgres'
      store: SessionStore
      /** Run events and cancels shared with the other instances on the database. */
      events: PostgresRunEvents
      /** The owners' request budgets, shared with them too. */
      rateBudget: RateBudget
    }

/**
 * The store `DATABASE_URL` names: PostgreSQL for `postgres://` (with the run events shared
 * through it), else SQLite; its writes put webhook events for `webhookTargets` into its outbox.
 * Nothing is connected or migrated yet.
 */
export function openStorage(
  config: ServerConfig,
  logger: Logger,
  clock: Clock,
  observer: StorageObserver = {},
  webhookTargets?: WebhookTargets,
): OpenedStorage {
  const url = config.databaseUrl
  if (url === undefined || databaseKind(url) !== 'postgres')
    return {
      kind: 'sqlite',
      store: openSqliteStore(sqlitePath(config), observer, { webhookTargets }),
    }
  const { store, db, pool } = openPostgresStore({
    connectionString: url,
    max: config.databasePoolSize,
    webhookTargets,
  })
  observer.watchPool?.(() => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }))
  const events = createPostgresRunEvents({
    connectionString: url,
    db,
    logger,
    clock,
    retentionMs: config.eventsRetentionMs,
    onListenReconnect: observer.listenReconnected?.bind(observer),
  })
  return {
    kind: 'postgres',
    events,
    rateBudget: createPostgresRateBudget(pool),
    store: {
      ...store,
      async checkReady() {
        await store.checkReady()
        // Without it, event streams here would hear nothing of runs elsewhere.
        if (!events.listening) throw new Error('not listening for run events (reconnecting)')
      },
      async close() {
        await events.close()
        await store.close()
      },
    },
  }
}
