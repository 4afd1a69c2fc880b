import Database from 'better-sqlite3'
import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteDialect,
  sql,
} from 'kysely'
import { describe, expect, it } from 'vitest'
import { fixedQuery } from './fixed-query.ts'
import type { Database as Schema } from './schema.ts'

/** A PostgreSQL Kysely without a server: the queries it would run, as compiled. */
function postgresRecording() {
  const ran: CompiledQuery[] = []
  const db = new Kysely<Schema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      if (event.level === 'query') ran.push(event.query)
    },
  })
  return { db, ran }
}

// A value used twice (in the row and in a subquery) and constants among the values.
const insertAfterLast = fixedQuery((db, id: string, sessionId: string, text: string) =>
  db.insertInto('messages').values({
    id,
    session_id: sessionId,
    position: sql<number>`(SELECT COALESCE(MAX(position), -1) + 1 FROM messages WHERE session_id = ${sessionId})`,
    role: 'user',
    text,
    created_at: 7,
  }),
)

describe('a fixed query', () => {
  it('runs with the values of each call, in their places, the constants kept (SQLite)', async () => {
    const sqlite = new Database(':memory:')
    sqlite.exec(`CREATE TABLE messages (id TEXT PRIMARY KEY, session_id TEXT, position INTEGER,
      role TEXT, text TEXT, created_at INTEGER)`)
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) })
    await insertAfterLast(db, 'm1', 's1', 'first')
    await insertAfterLast(db, 'm2', 's1', 'second')
    await insertAfterLast(db, 'm3', 's2', 'other')
    const rows = sqlite.prepare('SELECT * FROM messages ORDER BY id').all()
    expect(rows).toEqual([
      { id: 'm1', session_id: 's1', position: 0, role: 'user', text: 'first', created_at: 7 },
      { id: 'm2', session_id: 's1', position: 1, role: 'user', text: 'second', created_at: 7 },
      { id: 'm3', session_id: 's2', position: 0, role: 'user', text: 'other', created_at: 7 },
    ])
    await db.destroy()
  })

  it('compiles once and sends the same SQL with each call its parameters (PostgreSQL)', async () => {
    const { db, ran } = postgresRecording()
    const query = fixedQuery((kysely, id: string, code: string | null) =>
      kysely
        .updateTable('sessions')
        .set({ error_code: code, status: 'Ready' })
        .where('id', '=', id),
    )
    await query(db, 's1', 'One')
    await query(db, 's2', null)
    expect(ran.map((compiled) => compiled.sql)).toEqual([
      'update "sessions" set "error_code" = $1, "status" = $2 where "id" = $3',
      'update "sessions" set "error_code" = $1, "status" = $2 where "id" = $3',
    ])
    expect(ran.map((compiled) => compiled.parameters)).toEqual([
      ['One', 'Ready', 's1'],
      [null, 'Ready', 's2'],
    ])
  })

  it('refuses a value that is not a parameter of the statement', async () => {
    const { db } = postgresRecording()
    const query = fixedQuery((kysely, id: string, _unused: string) =>
      kysely.deleteFrom('sessions').where('id', '=', id),
    )
    await expect(query(db, 's1', 'x')).rejects.toThrow('every value must be a parameter')
  })
})
