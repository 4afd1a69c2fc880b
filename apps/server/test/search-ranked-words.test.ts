/**
 * `messages.ranked_words` (migration 0036) on both stores: every message the store writes has
 * its count of the words ranking reads, as `rankedWordCount` gives it; a store migrated before
 * 0036 has its messages counted when it takes it; a text changed around the store loses its
 * count, and ranking counts it again.
 */
import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { RANKED_CHARACTERS, rankedWordCount } from '../src/domain/search-rank.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { migrationsFor } from '../src/storage/kysely/migrations.ts'
import { storeDatabases, type TestDatabase } from './support/store-databases.ts'

const T0 = new Date('2031-05-01T10:00:00.000Z').getTime()
const SESSION = '00000000-0000-7000-8000-000000000001'
const id = (n: number) => `00000000-0000-7000-8000-1${String(n).padStart(11, '0')}`
const claim = () => ({
  runId: crypto.randomUUID(),
  instance: 'a',
  leaseExpiresAt: new Date(T0 + 60_000),
})

/** Texts whose words are easy to count wrong (see search-rank-words.test.ts), and a long one. */
const TEXTS = [
  'İstanbul ŞEHİR, naïve e\u0301 東京 𝐀𝐁 x-y_z 3.14',
  `${'ab '.repeat(RANKED_CHARACTERS / 3)}cut${'q'.repeat(80)} after`,
  'ΣΊΣΥΦΟΣ σοφός \u{1F600}\uD800 end',
]

describe.each(storeDatabases())('ranked words on $name', (databases) => {
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

  const counted = async () => {
    const db = database.kysely()
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'text', 'ranked_words'])
      .orderBy('id')
      .execute()
    await db.destroy()
    return rows
  }

  it('counts the words of each message it writes: a turn, a reply, a fork, an import', async () => {
    const run = claim()
    await store.createSession({
      id: SESSION,
      owner: 'alice',
      agentId: 'echo',
      name: 'Untitled',
      now: new Date(T0),
      message: { id: id(1), text: TEXTS[0] as string, files: [] },
      run,
    })
    await store.finishRun({
      sessionId: SESSION,
      runId: run.runId,
      now: new Date(T0 + 1000),
      reply: { id: id(2), text: TEXTS[1] as string },
      status: 'Ready',
      error: null,
      lastEventId: 0,
    })
    await store.forkSession({
      owner: 'alice',
      sourceId: SESSION,
      throughMessageId: id(2),
      id: '00000000-0000-7000-8000-000000000002',
      now: new Date(T0 + 2000),
      newId: (() => {
        let n = 10
        return () => id(++n)
      })(),
    })
    expect(
      await store.importSession('alice', {
        id: '00000000-0000-7000-8000-000000000003',
        agentId: 'echo',
        name: 'Imported',
        routineId: null,
        createdAt: new Date(T0),
        updatedAt: new Date(T0),
        pinned: false,
        archived: false,
        tags: [],
        metadata: {},
        messages: [
          {
            id: id(20),
            role: 'user',
            text: TEXTS[2] as string,
            createdAt: new Date(T0),
            files: [],
          },
        ],
      }),
    ).toBe('imported')
    const rows = await counted()
    expect(rows).toHaveLength(5)
    for (const row of rows) expect(row.ranked_words, row.id).toBe(rankedWordCount(row.text))
  })

  it('counts the messages of a store migrated before 0036, and forgets a count whose text changes', async () => {
    const fresh = await databases.newDatabase()
    const db = fresh.kysely()
    const earlier = Object.fromEntries(
      Object.entries(migrationsFor(databases.dialect)).filter(
        ([name]) => name !== '0036_ranked_words',
      ),
    )
    const migrator = new Migrator({ db, provider: { getMigrations: async () => earlier } })
    expect((await migrator.migrateToLatest()).error).toBeUndefined()
    await db
      .insertInto('sessions')
      .values({
        id: SESSION,
        owner: 'alice',
        agent_id: 'echo',
        name: 'Old',
        status: 'Ready',
        created_at: T0,
        updated_at: T0,
      })
      .execute()
    const texts = [...TEXTS, 'budget', 'budget budget review notes']
    await db
      .insertInto('messages')
      .values(
        texts.map((text, i) => ({
          id: id(i),
          session_id: SESSION,
          position: i,
          role: 'user' as const,
          text,
          created_at: T0 + i,
        })),
      )
      .execute()
    await db.destroy()
    await store.close()
    database = fresh
    store = fresh.open()
    await store.migrate()
    const rows = await counted()
    expect(rows.map((row) => row.ranked_words)).toEqual(texts.map(rankedWordCount))

    const search = async () =>
      (
        await store.searchSessions({
          owner: 'alice',
          query: parseSearchQuery('budget ') as SearchQuery,
          limit: 5,
          offset: 0,
        })
      ).hits.map((hit) => hit.message?.id)
    expect(await search()).toEqual([id(3), id(4)])
    // Now the longer text is the one of fewer words: counted again, it ranks first.
    const edit = database.kysely()
    await sql`UPDATE messages SET text = 'budget' WHERE id = ${id(4)}`.execute(edit)
    await sql`UPDATE messages SET text = 'budget and many more words here' WHERE id = ${id(3)}`.execute(
      edit,
    )
    await sql`UPDATE messages SET role = 'assistant' WHERE id = ${id(0)}`.execute(edit)
    await edit.destroy()
    const after = await counted()
    expect(after.map((row) => row.ranked_words)).toEqual([
      rankedWordCount(TEXTS[0] as string),
      rankedWordCount(TEXTS[1] as string),
      rankedWordCount(TEXTS[2] as string),
      null,
      null,
    ])
    expect(await search()).toEqual([id(4), id(3)])
  })
})
