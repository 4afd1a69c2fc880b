/**
 * The PostgreSQL store's metrics: the pool's connections at each scrape, and the LISTEN
 * connection's reconnects after PostgreSQL cut it.
 */
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { defaultConfig } from '../src/config/config.ts'
import { systemClock } from '../src/domain/clock.ts'
import { createJsonLogger } from '../src/logger.ts'
import { ServerMetrics } from '../src/observability/metrics.ts'
import { openStorage } from '../src/storage/open-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'
import { parseExposition, sampled } from './support/prometheus.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres.stop(), 60_000)

it("reports the pool's connections and the LISTEN connection's reconnects", async () => {
  const url = await postgres.newDatabase()
  const metrics = new ServerMetrics()
  const storage = openStorage(
    { ...defaultConfig, databaseUrl: url, databasePoolSize: 3 },
    createJsonLogger('silent'),
    systemClock,
    metrics,
  )
  if (storage.kind !== 'postgres') throw new Error('expected the PostgreSQL store')
  const scrape = async () => parseExposition(await metrics.scrape())
  try {
    await storage.store.migrate()
    await storage.events.start()
    // Three reads at once: the pool opens up to its size, then they are idle again.
    await Promise.all([1, 2, 3].map(() => storage.store.checkReady()))
    const after = await scrape()
    const open = sampled(after, 'uxmate_pg_pool_connections')
    expect(open).toBeGreaterThanOrEqual(1)
    expect(open).toBeLessThanOrEqual(3)
    expect(sampled(after, 'uxmate_pg_pool_idle_connections')).toBe(open)
    expect(sampled(after, 'uxmate_pg_pool_waiting_queries')).toBe(0)
    expect(sampled(after, 'uxmate_pg_listen_reconnects_total')).toBe(0)

    // PostgreSQL cuts the connection that listens: it is opened again, and counted.
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      )
      expect(cut.rowCount).toBe(1)
    } finally {
      await admin.end()
    }
    while (sampled(await scrape(), 'uxmate_pg_listen_reconnects_total') === 0)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(sampled(await scrape(), 'uxmate_pg_listen_reconnects_total')).toBe(1)
    expect(storage.events.listening).toBe(true)
  } finally {
    await storage.store.close()
  }
}, 60_000)
