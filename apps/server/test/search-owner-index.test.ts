/**
 * SQLite's search index keeps each row's owner as a word of its own (`0021_search_by_owner`):
 * a store whose index was made before that (by `0025_search` as it first was, without the
 * owner column) is rebuilt from its sessions and messages when migrated, and finds what it
 * found before; so is one made before it indexed prefixes of 4 to 8 letters
 * (`0023_search_longer_prefixes`), and one keyed in one run for every owner, before each owner's
 * rows had a range of keys of their own (`0037_search_owner_ranges`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { SEARCH_OWNER_RANGE, SQLITE_SEARCH_PREFIXES } from '../src/storage/kysely/migrations.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-search-owner-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const T0 = new Date('2031-05-01T10:00:00.000Z')
const SESSION = '00000000-0000-7000-8000-000000000100'

/** A store with one session of alice's, its search index then put back as `damage` leaves it. */
async function storeWith(path: string, damage: string) {
  const store = openSqliteStore(path)
  await store.migrate()
  await store.createSession({
    id: SESSION,
    owner: 'alice',
    agentId: 'echo',
    name: 'Wombat plans',
    now: T0,
    message: { id: '00000000-0000-7000-8000-000000000101', text: 'a numbat question', files: [] },
    run: { runId: crypto.randomUUID(), instance: 'a', leaseExpiresAt: new Date(T0.getTime() + 1) },
  })
  await store.close()
  const db = new Database(path)
  db.exec(damage)
  db.close()
}

async function expectRebuilt(path: string) {
  const store = openSqliteStore(path)
  await store.migrate()
  const find = async (text: string, owner = 'alice') =>
    (
      await store.searchSessions({
        owner,
        query: parseSearchQuery(text) as SearchQuery,
        limit: 20,
        offset: 0,
      })
    ).hits.map((hit) => hit.message?.id ?? `name:${hit.session.id}`)
  expect(await find('numbat')).toEqual(['00000000-0000-7000-8000-000000000101'])
  expect(await find('wombat')).toEqual([`name:${SESSION}`])
  expect(await find('numbat', 'bob')).toEqual([])
  expect(await find('stale')).toEqual([])
  const db = new Database(path, { readonly: true })
  expect(db.prepare("SELECT name FROM pragma_table_info('search_fts')").pluck().all()).toEqual([
    'body',
    'owner',
  ])
  // Keys go down as rows are written: the message, written after the name, has the lower one.
  expect(db.prepare('SELECT message_id FROM search_docs ORDER BY doc').pluck().all()).toEqual([
    '00000000-0000-7000-8000-000000000101',
    null,
  ])
  db.close()
  await store.close()
}

it('rebuilds an index made without the owner column, and finds what was written before', async () => {
  const path = join(dir, 'uxmate.sqlite')
  // The index as the first 0025_search made it: no owner column, and 0021 not applied yet.
  await storeWith(
    path,
    `DROP TABLE search_fts;
    CREATE VIRTUAL TABLE search_fts USING fts5(body, content='', contentless_delete=1,
      tokenize='unicode61 remove_diacritics 0', prefix='2 3');
    DROP TABLE search_owners;
    UPDATE search_docs SET doc = -doc;
    INSERT INTO search_fts (rowid, body) SELECT doc, 'stale' FROM search_docs;
    DELETE FROM kysely_migration
      WHERE name IN ('0021_search_by_owner', '0022_search_newest_first');`,
  )
  await expectRebuilt(path)
})

it('rebuilds an index with the owner column whose keys go up', async () => {
  const path = join(dir, 'uxmate.sqlite')
  await storeWith(
    path,
    `DELETE FROM search_fts;
    DROP TABLE search_owners;
    UPDATE search_docs SET doc = -doc;
    INSERT INTO search_fts (rowid, body, owner)
      SELECT doc, 'stale', lower(hex(owner)) FROM search_docs;
    DELETE FROM kysely_migration WHERE name = '0022_search_newest_first';`,
  )
  await expectRebuilt(path)
})

it('rebuilds an index made with prefixes of 2 and 3 letters only', async () => {
  const path = join(dir, 'uxmate.sqlite')
  await storeWith(
    path,
    `DROP TABLE search_fts;
    CREATE VIRTUAL TABLE search_fts USING fts5(body, owner, content='', contentless_delete=1,
      tokenize='unicode61 remove_diacritics 0', prefix='2 3');
    INSERT INTO search_fts (rowid, body, owner)
      SELECT doc, 'stale', lower(hex(owner)) FROM search_docs;
    DELETE FROM kysely_migration WHERE name = '0023_search_longer_prefixes';`,
  )
  await expectRebuilt(path)
  const db = new Database(path, { readonly: true })
  const made = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'search_fts'").pluck().get()
  expect(made).toContain(`prefix='${SQLITE_SEARCH_PREFIXES}'`)
  db.close()
})

it("rebuilds an index keyed in one run for every owner, then keys each owner's rows in its range", async () => {
  const path = join(dir, 'uxmate.sqlite')
  // Keys as before 0037: below zero, going down as written, whoever the owner.
  await storeWith(
    path,
    `DELETE FROM search_fts;
    DROP TABLE search_owners;
    UPDATE search_docs SET doc = doc - 1000 * ${SEARCH_OWNER_RANGE};
    INSERT INTO search_fts (rowid, body, owner)
      SELECT doc, 'stale', lower(hex(owner)) FROM search_docs;
    DELETE FROM kysely_migration WHERE name = '0037_search_owner_ranges';`,
  )
  await expectRebuilt(path)
  const store = openSqliteStore(path)
  await store.migrate()
  for (const [n, owner] of ['bob', 'alice'].entries())
    await store.createSession({
      id: `00000000-0000-7000-8000-00000000020${n}`,
      owner,
      agentId: 'echo',
      name: 'Later',
      now: T0,
      message: { id: `00000000-0000-7000-8000-00000000030${n}`, text: 'numbat again', files: [] },
      run: {
        runId: crypto.randomUUID(),
        instance: 'a',
        leaseExpiresAt: new Date(T0.getTime() + 1),
      },
    })
  await store.close()
  const db = new Database(path, { readonly: true })
  const keyed = db
    .prepare(
      `SELECT search_docs.owner, coalesce(message_id, 'name') AS row, doc - slot * ${SEARCH_OWNER_RANGE} AS at
       FROM search_docs JOIN search_owners ON search_owners.owner = search_docs.owner ORDER BY doc`,
    )
    .all() as { owner: string; row: string; at: number }[]
  db.close()
  // Each owner's rows in its own range, the newest lowest: alice's later message, its session's
  // name, then the rows from before; bob's two of his only session.
  expect(keyed.every((row) => row.at >= 0 && row.at < SEARCH_OWNER_RANGE)).toBe(true)
  expect(keyed.map((row) => [row.owner, row.row])).toEqual([
    ['alice', '00000000-0000-7000-8000-000000000301'],
    ['alice', 'name'],
    ['alice', '00000000-0000-7000-8000-000000000101'],
    ['alice', 'name'],
    ['bob', '00000000-0000-7000-8000-000000000300'],
    ['bob', 'name'],
  ])
})
