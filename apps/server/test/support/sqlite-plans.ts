/**
 * SQLite's plan of a statement the store's code prepares, for tests of which index a read
 * takes: the code runs on a database that records what it prepares, then the statement picked
 * is explained (every `?` bound to `'x'`: a plan does not run it).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll } from 'vitest'
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts'

/**
 * A store file migrated by the store, open in better-sqlite3 for the tests of the file that
 * calls this (made before they run, deleted after): the database, once made.
 *
 * @example
 * ```ts
 * const database = migratedSqlite()
 * it('…', () => database().prepare('SELECT 1'))
 * ```
 */
export function migratedSqlite(): () => Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'uxmate-plans-'))
  let sqlite: Database.Database | undefined
  beforeAll(async () => {
    const path = join(dir, 'store.sqlite')
    const store = openSqliteStore(path)
    await store.migrate()
    await store.close()
    sqlite = new Database(path)
  })
  afterAll(() => {
    sqlite?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    if (!sqlite) throw new Error('the database is made before the tests run')
    return sqlite
  }
}

/**
 * The plan's steps, one a line, of the first statement `run` prepares on `sqlite` that `pick`
 * accepts.
 *
 * @example
 * ```ts
 * const plan = await planOfPrepared(sqlite, (watched) => reads(watched).recent(), () => true)
 * expect(plan).toContain('USING INDEX sessions_by_owner_recency')
 * ```
 */
export async function planOfPrepared(
  sqlite: Database.Database,
  run: (watched: Database.Database) => Promise<unknown>,
  pick: (sql: string) => boolean,
): Promise<string> {
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
  await run(watched)
  const sql = prepared.find(pick)
  if (sql === undefined) throw new Error('no such statement prepared')
  const params = [...sql.matchAll(/\?/g)].map(() => 'x')
  const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
  return plan.map((step) => step.detail).join('\n')
}
