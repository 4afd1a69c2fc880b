/**
 * Search's window over many entries, on both stores: the most recent matches that the filters
 * let through, whether a word is in one entry in ten, in a hundred or in a thousand (on
 * PostgreSQL: found by one walk, by a walk on from the first, or by GIN after it), across
 * entries of the same time; and the index in step with the writes search.test.ts does not
 * cover: a fork, a regenerated reply, an edited and a deleted message; and a store of an earlier
 * release (every migration but 0024, 0027, 0051 and 0057) indexed for search when it takes them.
 */
import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { RANKED_WINDOW } from '../src/domain/session-search.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { WALKED_ENTRIES } from '../src/storage/kysely/kysely-search.ts'
import { migrationsFor } from '../src/storage/kysely/migrations.ts'
import { storeDatabases, type TestDatabase } from './support/store-databases.ts'

const T0 = new Date('2031-05-01T10:00:00.000Z').getTime()
const claim = () => ({
  runId: crypto.randomUUID(),
  instance: 'a',
  leaseExpiresAt: new Date(T0 + 60_000),
})
const query = (text: string) => parseSearchQuery(text) as SearchQuery
/** Entries enough for the first walk on PostgreSQL and a walk on that reaches their end. */
const MESSAGES = 3.2 * WALKED_ENTRIES
const SHOWN = '00000000-0000-7000-8000-000000000001'
const ARCHIVED = '00000000-0000-7000-8000-000000000002'
const messageId = (i: number) => `00000000-0000-7000-8000-2${String(i).padStart(11, '0')}`

/** Message `i`'s words: `dense` in one in 10, `medium` in one in 100, `rare` in one in 1,000. */
function words(i: number): string {
  return [
    'filler',
    i % 10 === 0 && 'dense',
    i % 20 === 0 && 'twenty',
    i % 100 === 0 && 'medium',
    i % 1000 === 0 && 'rare',
  ]
    .filter(Boolean)
    .join(' ')
}

describe.each(storeDatabases())('search window on $name', (databases) => {
  let database: TestDatabase
  let store: SessionStore

  beforeAll(() => databases.setUp(), 60_000)
  afterAll(() => databases.tearDown(), 60_000)
  beforeEach(async () => {
    database = await databases.newDatabase()
    store = database.open()
    await store.migrate()
  })
  afterEach(() => store.close())

  const windowOf = async (text: string) =>
    (
      await store.searchSessions({
        owner: 'alice',
        query: query(text),
        limit: RANKED_WINDOW,
        offset: 0,
      })
    ).hits
      .map((hit) => hit.message?.id)
      .sort()

  it('holds the most recent matches the filters let through, however common the words', async () => {
    for (const id of [SHOWN, ARCHIVED])
      await store.createSession({
        id,
        owner: 'alice',
        agentId: 'echo',
        name: 'Untitled',
        now: new Date(T0),
        message: { id: `${id.slice(0, -3)}1${id.slice(-2)}`, text: 'opening', files: [] },
        run: claim(),
      })
    await store.updateSession('alice', ARCHIVED, { archived: true, maxMetadataPairs: 16 })
    const db = database.kysely()
    // Written in order, 700 at a time at the same millisecond (walks end inside such runs, and
    // the next starts with the rest of the run), one in three in the archived session.
    const rows = Array.from({ length: MESSAGES }, (_, i) => ({
      id: messageId(i),
      session_id: i % 3 === 0 ? ARCHIVED : SHOWN,
      position: i + 1,
      role: 'user' as const,
      text: words(i),
      created_at: T0 + 1000 + Math.floor(i / 700),
    }))
    for (let start = 0; start < rows.length; start += 500)
      await db
        .insertInto('messages')
        .values(rows.slice(start, start + 500))
        .execute()
    await db.destroy()
    const expected = (word: string) =>
      rows
        .filter((row, i) => row.session_id === SHOWN && words(i).split(' ').includes(word))
        .slice(-RANKED_WINDOW)
        .map((row) => row.id)
        .sort()
    for (const word of ['dense', 'twenty', 'medium', 'rare', 'filler']) {
      const found = await windowOf(`${word} `)
      expect(found, word).toEqual(expected(word))
    }
    expect(await windowOf('medium rare ')).toEqual(expected('rare'))
    expect(await windowOf('dense -twenty ')).toEqual(
      rows
        .filter((row, i) => row.session_id === SHOWN && i % 10 === 0 && i % 20 !== 0)
        .slice(-RANKED_WINDOW)
        .map((row) => row.id)
        .sort(),
    )
  }, 120_000)

  it('follows a fork, a regenerated reply, an edited and a deleted message', async () => {
    const id = '00000000-0000-7000-8000-000000000010'
    const run = claim()
    await store.createSession({
      id,
      owner: 'alice',
      agentId: 'echo',
      name: 'Untitled',
      now: new Date(T0),
      message: { id: `${id.slice(0, -2)}11`, text: 'quokka question', files: [] },
      run,
    })
    const reply = (runId: string, at: number, replyId: string, text: string) =>
      store.finishRun({
        sessionId: id,
        runId,
        now: new Date(T0 + at),
        reply: { id: replyId, text },
        status: 'Ready',
        error: null,
        lastEventId: 0,
      })
    await reply(run.runId, 1000, `${id.slice(0, -2)}12`, 'a wombat answer')
    const again = claim()
    expect(
      await store.startRun({
        owner: 'alice',
        sessionId: id,
        now: new Date(T0 + 2000),
        leafId: `${id.slice(0, -2)}11`,
        run: again,
      }),
    ).toMatchObject({ id })
    await reply(again.runId, 3000, `${id.slice(0, -2)}13`, 'a numbat answer')
    // Both replies are kept (the branches), so both are found.
    expect(await windowOf('numbat')).toEqual([`${id.slice(0, -2)}13`])
    expect(await windowOf('wombat')).toEqual([`${id.slice(0, -2)}12`])
    let n = 0
    const fork = '00000000-0000-7000-8000-000000000020'
    await store.forkSession({
      owner: 'alice',
      sourceId: id,
      throughMessageId: `${id.slice(0, -2)}13`,
      id: fork,
      now: new Date(T0 + 4000),
      newId: () => `00000000-0000-7000-8000-0000000003${String(++n).padStart(2, '0')}`,
    })
    const forked = await store.getSession('alice', fork)
    const copy = forked?.messages.find((message) => message.text === 'a numbat answer')?.id
    expect(copy).toBeDefined()
    expect(await windowOf('numbat')).toEqual([`${id.slice(0, -2)}13`, copy].sort())

    const db = database.kysely()
    await db
      .updateTable('messages')
      .set({ text: 'a platypus answer' })
      .where('id', '=', `${id.slice(0, -2)}13`)
      .execute()
    await db
      .deleteFrom('messages')
      .where('id', '=', `${id.slice(0, -2)}12`)
      .execute()
    await db.destroy()
    expect(await windowOf('numbat')).toEqual([copy])
    expect(await windowOf('platypus')).toEqual([`${id.slice(0, -2)}13`])
    expect(await windowOf('wombat')).toEqual([])

    await store.deleteSession('alice', id, { force: true })
    await store.deleteSession('alice', fork, { force: true })
    for (const word of ['quokka', 'numbat', 'platypus', 'untitled'])
      expect(await windowOf(word)).toEqual([])
    if (databases.dialect === 'postgres') {
      const left = database.kysely()
      const { rows } = await sql<{
        count: string
      }>`SELECT count(*) AS count FROM search_entries`.execute(left)
      await left.destroy()
      expect(Number(rows[0]?.count)).toBe(0)
    }
  })

  it('indexes the rows of a store migrated before search_entries when it takes 0024, 0027, 0051 and 0057', async () => {
    const fresh = await databases.newDatabase()
    const db = fresh.kysely()
    const earlier = Object.fromEntries(
      Object.entries(migrationsFor(databases.dialect)).filter(
        ([name]) =>
          ![
            '0024_search_entries',
            '0027_search_entries_only',
            '0051_search_signatures',
            '0057_search_entry_filters',
          ].includes(name),
      ),
    )
    const migrator = new Migrator({ db, provider: { getMigrations: async () => earlier } })
    expect((await migrator.migrateToLatest()).error).toBeUndefined()
    const id = '00000000-0000-7000-8000-000000000030'
    await db
      .insertInto('sessions')
      .values({
        id,
        owner: 'alice',
        agent_id: 'echo',
        name: 'Old echidna',
        status: 'Ready',
        created_at: T0,
        updated_at: T0,
      })
      .execute()
    await db
      .insertInto('messages')
      .values({
        id: messageId(1),
        session_id: id,
        position: 0,
        role: 'user',
        text: 'an old numbat',
        created_at: T0,
      })
      .execute()
    await db.destroy()
    await store.close()
    store = fresh.open()
    await store.migrate()
    expect(await windowOf('numbat')).toEqual([messageId(1)])
    const named = await store.searchSessions({
      owner: 'alice',
      query: query('echidna'),
      limit: 5,
      offset: 0,
    })
    expect(named.hits.map((hit) => [hit.session.id, hit.message])).toEqual([[id, undefined]])
    await store.checkReady()
  })
})
