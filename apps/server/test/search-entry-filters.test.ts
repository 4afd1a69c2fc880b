/**
 * A search's filters on the session (archived, tags) on both stores, as the session changes
 * after its messages are indexed: archive and unarchive, a change of tags, an import, a delete,
 * and a store of an earlier release migrated. PostgreSQL answers them from each entry's own
 * row (migration 0057, kept in step by triggers): every entry is checked against its session's
 * row too.
 */
import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import type { SessionFilter, SessionPatch, SessionStore } from '../src/domain/session-store.ts'
import { migrationsFor } from '../src/storage/kysely/migrations.ts'
import { storeDatabases, type TestDatabase } from './support/store-databases.ts'

const T0 = new Date('2031-05-01T10:00:00.000Z').getTime()
const claim = () => ({
  runId: crypto.randomUUID(),
  instance: 'a',
  leaseExpiresAt: new Date(T0 + 60_000),
})
const uuid = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(10, '0')}00`
const messageOf = (n: number, m: number) => `${uuid(n).slice(0, -2)}${String(m).padStart(2, '0')}`
const filter = (fields: Partial<SessionFilter>): SessionFilter => ({
  archived: false,
  tags: [],
  metadata: [],
  ...fields,
})

describe.each(storeDatabases())('search filters of changed sessions on $name', (databases) => {
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

  /** The hits of `text` (messages by id, names as `name:<session>`), sorted. */
  const hits = async (text: string, f?: SessionFilter) =>
    (
      await store.searchSessions({
        owner: 'alice',
        query: parseSearchQuery(text) as SearchQuery,
        ...(f && { filter: f }),
        limit: 50,
        offset: 0,
      })
    ).hits
      .map((hit) => hit.message?.id ?? `name:${hit.session.id}`)
      .sort()

  /** PostgreSQL: the entries whose archive or tags differ from their session's (none wanted). */
  async function entriesOutOfStep(db = database.kysely()): Promise<number> {
    if (databases.dialect !== 'postgres') return 0
    const { rows } = await sql<{ count: string }>`SELECT count(*) AS count
      FROM search_entries AS entry JOIN sessions ON sessions.id = entry.session_id
      WHERE entry.archived <> sessions.archived
        OR entry.tags <> ARRAY(SELECT jsonb_array_elements_text(sessions.tags::jsonb))`.execute(db)
    await db.destroy()
    return Number(rows[0]?.count)
  }

  const patch = (n: number, fields: Omit<SessionPatch, 'maxMetadataPairs'>) =>
    store.updateSession('alice', uuid(n), { ...fields, maxMetadataPairs: 16 })

  it('follows archive and unarchive, a change of tags, an import and a delete', async () => {
    for (const n of [1, 2]) {
      const run = claim()
      await store.createSession({
        id: uuid(n),
        owner: 'alice',
        agentId: 'echo',
        name: `Wombat ${n}`,
        now: new Date(T0 + n),
        message: { id: messageOf(n, 1), text: `a wombat question ${n}`, files: [] },
        run,
      })
      await store.finishRun({
        sessionId: uuid(n),
        runId: run.runId,
        now: new Date(T0 + n),
        reply: { id: messageOf(n, 2), text: `a wombat answer ${n}` },
        status: 'Ready',
        error: null,
        lastEventId: 0,
      })
    }
    const of = (n: number) => [messageOf(n, 1), messageOf(n, 2), `name:${uuid(n)}`]
    const both = [...of(1), ...of(2)].sort()
    expect(await hits('wombat')).toEqual(both)

    await patch(1, { archived: true })
    expect(await hits('wombat')).toEqual(of(2).sort())
    expect(await hits('wombat', filter({ archived: true }))).toEqual(of(1).sort())
    expect(await entriesOutOfStep()).toBe(0)
    await patch(1, { archived: false })
    expect(await hits('wombat')).toEqual(both)
    expect(await hits('wombat', filter({ archived: true }))).toEqual([])

    await patch(1, { tags: ['research', 'ux'] })
    expect(await hits('wombat', filter({ tags: ['research'] }))).toEqual(of(1).sort())
    expect(await hits('wombat', filter({ tags: ['research', 'ux'] }))).toEqual(of(1).sort())
    expect(await entriesOutOfStep()).toBe(0)
    await patch(1, { tags: ['ux'] })
    expect(await hits('wombat', filter({ tags: ['research'] }))).toEqual([])
    expect(await hits('wombat', filter({ tags: ['research', 'ux'] }))).toEqual([])
    expect(await hits('wombat', filter({ tags: ['ux'] }))).toEqual(of(1).sort())
    // A rename writes the name's entry again: it keeps its session's tags.
    await patch(1, { name: 'Wombat renamed' })
    expect(await hits('wombat', filter({ tags: ['ux'] }))).toEqual(of(1).sort())
    await patch(1, { tags: [] })
    expect(await hits('wombat', filter({ tags: ['ux'] }))).toEqual([])
    expect(await entriesOutOfStep()).toBe(0)

    expect(
      await store.importSession('alice', {
        id: uuid(3),
        agentId: 'echo',
        name: 'Imported wombat',
        routineId: null,
        createdAt: new Date(T0 + 3),
        updatedAt: new Date(T0 + 3),
        pinned: false,
        archived: true,
        tags: ['research'],
        metadata: {},
        messages: [
          {
            id: messageOf(3, 1),
            role: 'user',
            text: 'an imported wombat',
            createdAt: new Date(T0 + 3),
            files: [],
          },
        ],
      }),
    ).toBe('imported')
    const imported = [messageOf(3, 1), `name:${uuid(3)}`].sort()
    expect(await hits('wombat')).toEqual(both)
    expect(await hits('wombat', filter({ archived: true, tags: ['research'] }))).toEqual(imported)
    expect(await hits('wombat', filter({ archived: true, tags: ['ux'] }))).toEqual([])
    expect(await entriesOutOfStep()).toBe(0)

    await store.deleteSession('alice', uuid(3), { force: true })
    expect(await hits('wombat', filter({ archived: true, tags: ['research'] }))).toEqual([])
    expect(await entriesOutOfStep()).toBe(0)
  })

  it('answers the filters of sessions archived and tagged before 0057, once migrated', async () => {
    const fresh = await databases.newDatabase()
    const db = fresh.kysely()
    const earlier = Object.fromEntries(
      Object.entries(migrationsFor(databases.dialect)).filter(
        ([name]) => name !== '0057_search_entry_filters',
      ),
    )
    const migrator = new Migrator({ db, provider: { getMigrations: async () => earlier } })
    expect((await migrator.migrateToLatest()).error).toBeUndefined()
    const organised = [
      { archived: 0, tags: '[]' },
      { archived: 1, tags: '[]' },
      { archived: 0, tags: '["research"]' },
      { archived: 1, tags: '["research","ux"]' },
    ]
    for (const [i, organise] of organised.entries()) {
      await db
        .insertInto('sessions')
        .values({
          id: uuid(i + 1),
          owner: 'alice',
          agent_id: 'echo',
          name: `Old numbat ${i + 1}`,
          status: 'Ready',
          created_at: T0 + i,
          updated_at: T0 + i,
          ...organise,
        })
        .execute()
      // The labels beside the row, as the store writes them (the lists and SQLite read them).
      for (const tag of JSON.parse(organise.tags) as string[])
        await db
          .insertInto('session_labels')
          .values({ session_id: uuid(i + 1), kind: 'tag', key: tag, value: '' })
          .execute()
      await db
        .insertInto('messages')
        .values({
          id: messageOf(i + 1, 1),
          session_id: uuid(i + 1),
          position: 0,
          role: 'user',
          text: `an old numbat ${i + 1}`,
          created_at: T0 + i,
        })
        .execute()
    }
    await db.destroy()
    await store.close()
    store = fresh.open()
    await store.migrate()
    const of = (...ns: number[]) => ns.flatMap((n) => [messageOf(n, 1), `name:${uuid(n)}`]).sort()
    expect(await hits('numbat')).toEqual(of(1, 3))
    expect(await hits('numbat', filter({ archived: true }))).toEqual(of(2, 4))
    expect(await hits('numbat', filter({ tags: ['research'] }))).toEqual(of(3))
    expect(await hits('numbat', filter({ archived: true, tags: ['ux'] }))).toEqual(of(4))
    expect(await entriesOutOfStep(fresh.kysely())).toBe(0)
  })
})
