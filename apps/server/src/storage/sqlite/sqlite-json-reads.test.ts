import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedSqlite, planOfPrepared } from '../../../test/support/sqlite-plans.ts'
import type { SessionFilter } from '../../domain/session-store.ts'
import type { Database as Schema } from '../kysely/schema.ts'
import { sqliteJsonReads } from './sqlite-json-reads.ts'
import { openSqliteStore } from './sqlite-store.ts'

const database = migratedSqlite()

/** How SQLite plans the statement `recentSessionsJson` prepares for `filter`. */
function planOfRecent(filter: SessionFilter): Promise<string> {
  const db = new Kysely({ dialect: new SqliteDialect({ database: database() }) })
  return planOfPrepared(
    database(),
    (watched) =>
      sqliteJsonReads(watched, db as never).recentSessionsJson({
        owner: 'alice',
        limit: 100,
        filter,
        agentJson: () => '{}',
      }),
    () => true,
  )
}

describe('SQLite summaries of a grouped page', () => {
  it("walks only the owner's pinned sessions for the pinned group", async () => {
    const plan = await planOfRecent({ archived: false, pinned: true, tags: ['t'], metadata: [] })
    expect(plan).toContain('USING INDEX sessions_pinned_by_owner_recency')
  })

  it('walks every session by recency for the rest', async () => {
    const plan = await planOfRecent({ archived: false, pinned: false, tags: ['t'], metadata: [] })
    expect(plan).toContain('USING INDEX sessions_by_owner_recency')
  })
})

describe('SQLite JSON reads and transactions', () => {
  const now = new Date('2031-05-01T10:00:00.000Z')
  let txDir: string
  let txSqlite: Database.Database
  let db: Kysely<Schema>

  beforeEach(async () => {
    txDir = mkdtempSync(join(tmpdir(), 'uxmate-json-reads-tx-'))
    const txPath = join(txDir, 'uxmate.sqlite')
    const store = openSqliteStore(txPath)
    await store.migrate()
    await store.createSession({
      id: 's1',
      owner: 'alice',
      agentId: 'echo',
      name: 'committed',
      now,
      message: { id: 'm1', text: 'hello', files: [] },
      run: { runId: 'r1', instance: 'here', leaseExpiresAt: now },
    })
    await store.close()
    txSqlite = new Database(txPath)
    db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: txSqlite }) })
  })
  afterEach(async () => {
    await db.destroy()
    rmSync(txDir, { recursive: true, force: true })
  })

  const nameOf = (json: string | undefined) => (JSON.parse(json ?? 'null') as { name: string }).name

  it('wait for an open transaction and never see what it rolls back', async () => {
    const reads = sqliteJsonReads(txSqlite, db)
    let read: Promise<string | undefined> | undefined
    await db
      .transaction()
      .execute(async (trx) => {
        await trx
          .updateTable('sessions')
          .set({ name: 'uncommitted' })
          .where('id', '=', 's1')
          .execute()
        read = reads.getSessionJson('alice', 's1')
        await new Promise((resolve) => setTimeout(resolve, 20))
        throw new Error('rolled back')
      })
      .catch(() => {})
    expect(nameOf(await read)).toBe('committed')
  })

  it('read at once, without waiting for Kysely, when no transaction is open', async () => {
    const reads = sqliteJsonReads(txSqlite, db)
    // The connection held by a query that is no transaction: nothing uncommitted to avoid.
    const answered = await db
      .connection()
      .execute(() =>
        Promise.race([
          reads.getSessionJson('alice', 's1'),
          new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 200)),
        ]),
      )
    expect(answered).not.toBe('waited')
    expect(nameOf(answered as string)).toBe('committed')
  })
})
