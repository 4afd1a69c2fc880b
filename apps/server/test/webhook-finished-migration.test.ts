/**
 * Deliveries finished before migration 0063 get the time they finished (a delivered one's
 * delivery, a failed one's last attempt, or its creation when it had none), so that they are
 * pruned WEBHOOK_RETENTION_MS after it like the ones after, on both stores; pending ones have
 * none and are never pruned.
 */
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import type { Dialect } from '../src/storage/kysely/schema.ts'
import { migrateBelow } from './support/migrate-below.ts'
import { storeDatabases } from './support/store-databases.ts'

/** Migrates `db` up to the migration before 0063, then writes deliveries in each state. */
async function storeDeliveries(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await migrateBelow(db, dialect, '0063')
  const deliveries: Array<[string, string, number | null]> = [
    ['delivered', 'delivered', 5_000],
    ['failed', 'failed', null],
    ['never-tried', 'failed', null],
    ['pending', 'pending', null],
  ]
  for (const [id, state, deliveredAt] of deliveries)
    await sql`INSERT INTO webhook_deliveries
      (id, owner, endpoint_id, session_id, event_type, payload, created_at, state, delivered_at)
      VALUES (${id}, 'alice', 'hooks', 's1', 'session.created', '{}', 1000, ${state},
        ${deliveredAt})`.execute(db)
  for (const [id, attempt, endedAt] of [
    ['delivered', 1, 5_000],
    ['failed', 1, 3_000],
    ['failed', 2, 7_000],
    ['pending', 1, 2_000],
  ] as const)
    await sql`INSERT INTO webhook_attempts (delivery_id, attempt, started_at, ended_at)
      VALUES (${id}, ${attempt}, ${endedAt - 100}, ${endedAt})`.execute(db)
  await db.destroy()
}

async function expectPrunedByFinish(store: SessionStore): Promise<void> {
  await store.migrate()
  const prune = (before: number) =>
    store.webhooks.pruneFinished({ before: new Date(before), limit: 100 })
  const left = async () =>
    (await store.webhooks.listDeliveries({ owner: 'alice', limit: 10 })).deliveries
      .map((d) => d.id)
      .sort()
  // Never tried: finished when made (1 s); delivered at 5 s; failed with its last attempt (7 s).
  expect(await prune(1_000)).toBe(0)
  expect(await prune(1_001)).toBe(1)
  expect(await left()).toEqual(['delivered', 'failed', 'pending'])
  expect(await prune(7_000)).toBe(1)
  expect(await left()).toEqual(['failed', 'pending'])
  expect(await prune(7_001)).toBe(1)
  expect(await prune(Date.parse('2100-01-01'))).toBe(0)
  expect(await left()).toEqual(['pending'])
  await store.close()
}

describe.each(storeDatabases())(
  'migration 0063_webhook_deliveries_finished on $name',
  (databases) => {
    beforeAll(() => databases.setUp(), 120_000)
    afterAll(() => databases.tearDown(), 60_000)

    it('dates the finished deliveries of a store', async () => {
      const database = await databases.newDatabase()
      await storeDeliveries(database.kysely() as unknown as Kysely<unknown>, databases.dialect)
      await expectPrunedByFinish(database.open())
    })
  },
)
