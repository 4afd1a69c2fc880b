import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionFilter } from '../../domain/session-store.ts'
import { sqliteJsonReads } from './sqlite-json-reads.ts'
import { openSqliteStore } from './sqlite-store.ts'

const dir = mkdtempSync(join(tmpdir(), 'uxmate-json-reads-'))
const path = join(dir, 'store.sqlite')
let sqlite: Database.Database

beforeAll(async () => {
  const store = openSqliteStore(path)
  await store.migrate()
  await store.close()
  sqlite = new Database(path)
})

afterAll(() => {
  sqlite.close()
  rmSync(dir, { recursive: true, force: true })
})

/** How SQLite plans the statement `recentSessionsJson` prepares for `filter`. */
async function planOfRecent(filter: SessionFilter): Promise<string> {
  const prepared: string[] = []
  const watched = new Proxy(sqlite, {
    get(target, key) {
      if (key === 'prepare')
        return (sql: string) => {
          prepared.push(sql)
          return target.prepare(sql)
        }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) })
  const reads = sqliteJsonReads(watched, db as never)
  await reads.recentSessionsJson({ owner: 'alice', limit: 100, filter, agentJson: () => '{}' })
  const [sql] = prepared
  if (sql === undefined) throw new Error('no statement prepared')
  const params = [...sql.matchAll(/\?/g)].map(() => 'x')
  const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
  return plan.map((step) => step.detail).join('\n')
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
