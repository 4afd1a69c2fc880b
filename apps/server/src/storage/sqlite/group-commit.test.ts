import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Database as Schema } from '../kysely/schema.ts'
import type { WriteTransaction } from '../kysely/write-transaction.ts'
import { groupCommit } from './group-commit.ts'

let dir: string
let db: Kysely<Schema>
/** Another connection to the same file: it sees only what was committed. */
let observer: Database.Database
let statements: string[]
let write: WriteTransaction

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uxmate-group-commit-'))
  const file = join(dir, 'test.sqlite')
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.exec(`
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE item (
      id INTEGER PRIMARY KEY,
      parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
    );`)
  statements = []
  db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      statements.push(event.query.sql)
    },
  })
  observer = new Database(file, { readonly: true })
  write = groupCommit(db)
})

afterEach(async () => {
  observer.close()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const insert = (id: number, parent: number | null = null) =>
  write((trx) => sql`INSERT INTO item (id, parent) VALUES (${id}, ${parent})`.execute(trx))
const committedItems = () =>
  observer
    .prepare('SELECT id FROM item ORDER BY id')
    .all()
    .map((row) => (row as { id: number }).id)
const commits = () => statements.filter((statement) => statement === 'COMMIT').length

describe('groupCommit', () => {
  it('commits the writes of one turn together, each answered once the commit is done', async () => {
    const seenAtAnswer: number[][] = []
    await Promise.all(
      [1, 2, 3].map((id) => insert(id).then(() => seenAtAnswer.push(committedItems()))),
    )
    expect(commits()).toBe(1)
    // Every caller heard back only when the others' rows were committed too.
    expect(seenAtAnswer).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ])
  })

  it('rolls back a failing write alone, with its own error, and commits the others', async () => {
    const outcomes = await Promise.allSettled([
      insert(1),
      write(async (trx) => {
        await sql`INSERT INTO item (id) VALUES (2)`.execute(trx)
        await sql`INSERT INTO item (id) VALUES (1)`.execute(trx)
      }),
      write(async () => {
        throw new Error('not a database error')
      }),
      insert(3),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ])
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/)
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/not a database error/)
    expect(commits()).toBe(1)
    expect(committedItems()).toEqual([1, 3])
  })

  it('gives each write what it returns, in the order the writes came', async () => {
    const order: number[] = []
    const results = await Promise.all(
      [5, 6, 7].map((id) =>
        write(async (trx) => {
          order.push(id)
          await sql`INSERT INTO item (id) VALUES (${id})`.execute(trx)
          const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM item`.execute(trx)
          return rows[0]?.n
        }),
      ),
    )
    expect(order).toEqual([5, 6, 7])
    expect(results).toEqual([1, 2, 3])
  })

  it('fails every write of a batch whose commit fails, and commits the next batch', async () => {
    // The missing parent is only checked at the commit (a deferred foreign key).
    const outcomes = await Promise.allSettled([insert(1), insert(2, 99)])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected'])
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/)
    expect(committedItems()).toEqual([])
    await insert(3)
    expect(committedItems()).toEqual([3])
  })

  it('runs its statements before each commit, after the writes, in their transaction', async () => {
    // Rows of the batch's writes, copied by a statement that runs once a batch.
    write = groupCommit(db, { beforeCommit: ['INSERT INTO parent (id) SELECT id + 100 FROM item'] })
    const seen = await Promise.all([insert(1), insert(2)].map((done) => done.then(committedItems)))
    expect(seen).toEqual([
      [1, 2],
      [1, 2],
    ])
    expect(observer.prepare('SELECT id FROM parent ORDER BY id').pluck().all()).toEqual([101, 102])
    expect(commits()).toBe(1)
    const copy = statements.indexOf('INSERT INTO parent (id) SELECT id + 100 FROM item')
    expect(copy).toBeGreaterThan(statements.lastIndexOf('RELEASE write'))
    expect(copy).toBeLessThan(statements.indexOf('COMMIT'))
  })

  it('fails every write of a batch whose statements before the commit fail', async () => {
    write = groupCommit(db, { beforeCommit: ['INSERT INTO parent (id) VALUES (1)'] })
    await sql`INSERT INTO parent (id) VALUES (1)`.execute(db)
    const outcomes = await Promise.allSettled([insert(1), insert(2)])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected'])
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/)
    expect(committedItems()).toEqual([])
  })

  it('puts a write that comes while a batch runs in the next batch', async () => {
    let later: Promise<unknown> | undefined
    await write(async (trx) => {
      later = insert(2)
      await sql`INSERT INTO item (id) VALUES (1)`.execute(trx)
    })
    expect(committedItems()).toEqual([1])
    await later
    expect(committedItems()).toEqual([1, 2])
    expect(commits()).toBe(2)
  })

  it('makes a read outside the writes wait until the batch has committed', async () => {
    const count = 'SELECT COUNT(*) AS n FROM item'
    let read: Promise<{ rows: Array<{ n: number }> }> | undefined
    await write(async (trx) => {
      await sql`INSERT INTO item (id) VALUES (1)`.execute(trx)
      read = sql<{ n: number }>`SELECT COUNT(*) AS n FROM item`.execute(db)
    })
    expect((await read)?.rows[0]?.n).toBe(1)
    expect(statements.indexOf(count)).toBeGreaterThan(statements.indexOf('COMMIT'))
  })
})
