/**
 * The owners' version lookups on PostgreSQL (`storage/postgres/owner-versions.ts`): lookups
 * asked while others are on their way go together as one statement, and a lookup is only ever
 * answered by a statement sent after it was asked, so it sees every write committed before.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ownerVersionsOn } from '../src/storage/postgres/owner-versions.ts'
import { createPgPool } from '../src/storage/postgres/pg-pool.ts'
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres?.stop(), 60_000)

/** A migrated database's pool, and a `query` that records each statement's owners. */
async function setup() {
  const url = await postgres.newDatabase()
  const { store } = openPostgresStore({ connectionString: url, max: 2 })
  await store.migrate()
  await store.close()
  const pool = createPgPool({ connectionString: url, max: 4 })
  const sent: string[][] = []
  let answered = 0
  let hold: Promise<void> | undefined
  let failNext = false
  const counted = {
    query: async (config: pg.QueryArrayConfig) => {
      sent.push([...((config.values?.[0] as string[]) ?? [])].sort())
      if (failNext) {
        failNext = false
        throw new Error('connection lost')
      }
      const result = await pool.query(config)
      answered++
      if (hold) await hold
      return result
    },
  } as unknown as Pick<pg.Pool, 'query'>
  const bump = (owner: string) =>
    pool.query(
      `INSERT INTO owner_versions AS kept (owner, slot, version) VALUES ($1, 0, 1)
        ON CONFLICT (owner, slot) DO UPDATE SET version = kept.version + 1`,
      [owner],
    )
  return {
    changes: ownerVersionsOn(counted),
    sent,
    answered: () => answered,
    holdAnswers() {
      let release = () => {}
      hold = new Promise((resolve) => {
        release = resolve
      })
      return () => {
        hold = undefined
        release()
      }
    },
    failNextStatement() {
      failNext = true
    },
    bump,
    close: () => pool.end(),
  }
}

describe("the owners' version lookups on PostgreSQL", () => {
  it('send the lookups asked meanwhile as one, each after it was asked', async () => {
    const { changes, sent, answered, holdAnswers, bump, close } = await setup()
    try {
      await bump('alice')
      expect(await changes.of('alice')).toBe(1)
      expect(await changes.of('nobody')).toBe(0)
      sent.length = 0

      // Two lookups on their way, read by PostgreSQL, their answers held back.
      const release = holdAnswers()
      const first = [changes.of('alice'), changes.of('bob')]
      await vi.waitFor(() => expect(answered()).toBe(4))
      // A write commits after they were read; the lookups asked now must see it.
      await bump('alice')
      const later = [
        changes.of('alice'),
        changes.of('bob'),
        changes.of('alice'),
        changes.of('carol'),
      ]
      expect(sent).toEqual([['alice'], ['bob']])
      release()
      expect(await Promise.all(first)).toEqual([1, 0])
      expect(await Promise.all(later)).toEqual([2, 0, 2, 0])
      // The four waited, then went as one statement for their three owners.
      expect(sent).toEqual([['alice'], ['bob'], ['alice', 'bob', 'carol']])
    } finally {
      await close()
    }
  }, 60_000)

  it('fail the lookups of a statement that fails, and go on with the next ones', async () => {
    const { changes, bump, failNextStatement, close } = await setup()
    try {
      await bump('alice')
      failNextStatement()
      await expect(changes.of('alice')).rejects.toThrow('connection lost')
      expect(await changes.of('alice')).toBe(1)
    } finally {
      await close()
    }
  }, 60_000)
})
