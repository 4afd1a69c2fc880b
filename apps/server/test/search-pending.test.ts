/**
 * SQLite's search index takes each batch's texts at its commit (`search_pending`, written to
 * FTS5 by `FLUSH_PENDING_SEARCH` before the group commit's COMMIT; migration 0060): a write is
 * found by a search as soon as it is acknowledged, whatever else its batch did to the same rows,
 * and nothing stays queued.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import type { NewSession, SessionStore } from '../src/domain/session-store.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

let dir: string
let path: string
let store: SessionStore
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-search-pending-'))
  path = join(dir, 'uxmate.sqlite')
  store = openSqliteStore(path)
  await store.migrate()
})
afterEach(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

const T0 = new Date('2031-05-01T10:00:00.000Z')
const session = (n: number, name: string, text: string): NewSession => ({
  id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
  owner: 'alice',
  agentId: 'echo',
  name,
  now: T0,
  message: { id: `00000000-0000-7000-8000-${String(n + 1).padStart(12, '0')}`, text, files: [] },
  run: { runId: crypto.randomUUID(), instance: 'a', leaseExpiresAt: new Date(T0.getTime() + 1) },
})

/** What a search for `text` finds: message ids, and `name:<session>` for a name. */
const find = async (text: string) =>
  (
    await store.searchSessions({
      owner: 'alice',
      query: parseSearchQuery(text) as SearchQuery,
      limit: 20,
      offset: 0,
    })
  ).hits.map((hit) => hit.message?.id ?? `name:${hit.session.id}`)

/** Runs `check` on a second connection to the file: it sees what was committed. */
function committed<T>(check: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true })
  try {
    return check(db)
  } finally {
    db.close()
  }
}
/** How many rows search_docs keys, and how many FTS5 holds. */
const indexed = () =>
  committed((db) => ({
    docs: db.prepare('SELECT count(*) FROM search_docs').pluck().get(),
    fts: db.prepare('SELECT count(*) FROM search_fts_docsize').pluck().get(),
  }))
const queued = () =>
  committed((db) => db.prepare('SELECT count(*) FROM search_pending').pluck().get())

it('finds every write of a batch once it is acknowledged, and leaves nothing queued', async () => {
  const a = session(100, 'Wombat plans', 'a numbat question')
  const b = session(200, 'Quokka notes', 'the bilby answer')
  // One turn of the event loop: one batch, one commit.
  await Promise.all([store.createSession(a), store.createSession(b)])
  expect(await find('numbat')).toEqual([a.message.id])
  expect(await find('bilby')).toEqual([b.message.id])
  expect(await find('wombat')).toEqual([`name:${a.id}`])
  expect(await find('quok')).toEqual([`name:${b.id}`])
  expect(queued()).toBe(0)
  expect(indexed()).toEqual({ docs: 4, fts: 4 })
})

it('indexes a name renamed in the batch that wrote it, and nothing of its first one', async () => {
  const a = session(100, 'Wombat plans', 'a numbat question')
  await Promise.all([store.createSession(a), store.renameSession('alice', a.id, 'Echidna plans')])
  expect(await find('echidna')).toEqual([`name:${a.id}`])
  expect(await find('wombat')).toEqual([])
  await store.renameSession('alice', a.id, 'Platypus plans')
  expect(await find('platypus')).toEqual([`name:${a.id}`])
  expect(await find('echidna')).toEqual([])
  expect(queued()).toBe(0)
})

it('indexes nothing of a session deleted in the batch that wrote it', async () => {
  const a = session(100, 'Wombat plans', 'a numbat question')
  const b = session(200, 'Quokka notes', 'the bilby answer')
  await Promise.all([
    store.createSession(a),
    store.createSession(b),
    store.deleteSession('alice', a.id, { force: true }),
  ])
  expect(await find('numbat')).toEqual([])
  expect(await find('wombat')).toEqual([])
  expect(await find('bilby')).toEqual([b.message.id])
  expect(queued()).toBe(0)
  // FTS5 holds a row for each of search_docs', nothing of the deleted session.
  expect(indexed()).toEqual({ docs: 2, fts: 2 })
})

it('queues nothing of a write that failed alone in its batch', async () => {
  const a = session(100, 'Wombat plans', 'a numbat question')
  // Its message's id is a's: its insert fails, and the write is rolled back to its savepoint.
  const clash = session(200, 'Quokka notes', 'the bilby answer')
  const [created, failed] = await Promise.allSettled([
    store.createSession(a),
    store.createSession({ ...clash, message: { ...clash.message, id: a.message.id } }),
  ])
  expect(created.status).toBe('fulfilled')
  expect(failed.status).toBe('rejected')
  expect(await find('numbat')).toEqual([a.message.id])
  expect(await find('bilby')).toEqual([])
  expect(await find('quokka')).toEqual([])
  expect(queued()).toBe(0)
})

it('indexes, once migrated, what another connection wrote while the store was closed', async () => {
  await store.close()
  // As the bench's seed does: the server's tables and triggers, another connection.
  const db = new Database(path)
  db.exec(`INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at)
    VALUES ('seeded', 'alice', 'echo', 'Wallaby talk', 'Ready', 1, 1)`)
  db.exec(`INSERT INTO messages (id, session_id, position, role, text, created_at)
    VALUES ('seeded-m', 'seeded', 0, 'user', 'a kangaroo question', 1)`)
  db.close()
  store = openSqliteStore(path)
  await store.migrate()
  expect(await find('kangaroo')).toEqual(['seeded-m'])
  expect(await find('wallaby')).toEqual(['name:seeded'])
  expect(queued()).toBe(0)
})

it('moves an index whose triggers wrote FTS5 themselves (before 0060) to the queue', async () => {
  const a = session(100, 'Wombat plans', 'a numbat question')
  await store.createSession(a)
  await store.close()
  // The store as 0059 left it: the message trigger wrote FTS5, no queue, 0060 not applied.
  const db = new Database(path)
  db.exec(`DROP TRIGGER search_message_insert;
    DROP TABLE search_pending;
    CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN
      INSERT INTO search_fts (rowid, body, owner) VALUES (-1, new.text, 'nobody');
    END;
    DELETE FROM kysely_migration WHERE name = '0060_search_writes_once_a_batch';`)
  db.close()
  store = openSqliteStore(path)
  await store.migrate()
  const b = session(200, 'Quokka notes', 'the bilby answer')
  await store.createSession(b)
  expect(await find('numbat')).toEqual([a.message.id])
  expect(await find('bilby')).toEqual([b.message.id])
  expect(queued()).toBe(0)
  const triggers = committed((db) =>
    db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'")
      .pluck()
      .all(),
  ) as string[]
  expect(triggers).toHaveLength(6)
  for (const trigger of triggers) expect(trigger).not.toMatch(/INSERT INTO search_fts/)
})
