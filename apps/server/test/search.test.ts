/**
 * Search on both stores: what it finds and how it ranks, pages and marks it, that its index
 * follows every write (create, turn, reply, title, rename, delete), that a migration indexes
 * what was there before it, and that no query, however typed, fails in either engine.
 */
import fc from 'fast-check'
import { Migrator } from 'kysely/migration'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { RANKED_WINDOW, searchSessions } from '../src/domain/session-search.ts'
import type { SessionFilter, SessionPatch, SessionStore } from '../src/domain/session-store.ts'
import { migrationProvider, migrationsFor } from '../src/storage/kysely/migrations.ts'
import { storeDatabases, type TestDatabase } from './support/store-databases.ts'

const T0 = new Date('2031-05-01T10:00:00.000Z')
const later = (ms: number) => new Date(T0.getTime() + ms)
const claim = () => ({ runId: crypto.randomUUID(), instance: 'a', leaseExpiresAt: later(60_000) })
const query = (text: string) => parseSearchQuery(text) as SearchQuery

describe.each(storeDatabases())('search on $name', (databases) => {
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

  /** A session of `owner` with its first message and, when given, the reply (then `Ready`). */
  async function session(
    id: string,
    texts: { name?: string; prompt: string; reply?: string; title?: string },
    options: { owner?: string; agentId?: string; at?: number } = {},
  ) {
    const owner = options.owner ?? 'alice'
    const now = later(options.at ?? 0)
    const run = claim()
    await store.createSession({
      id,
      owner,
      agentId: options.agentId ?? 'echo',
      name: texts.name ?? `Session ${id}`,
      now,
      message: { id: `${id.slice(0, -2)}01`, text: texts.prompt, files: [] },
      run,
    })
    if (texts.reply !== undefined)
      await store.finishRun({
        sessionId: id,
        runId: run.runId,
        now,
        reply: { id: `${id.slice(0, -2)}02`, text: texts.reply },
        status: 'Ready',
        error: null,
        lastEventId: 0,
        ...(texts.title && {
          title: { name: texts.title, replaces: texts.name ?? `Session ${id}` },
        }),
      })
  }

  const uuid = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(10, '0')}00`
  const find = (text: string, options: { owner?: string; agentId?: string; limit?: number } = {}) =>
    store.searchSessions({
      owner: options.owner ?? 'alice',
      query: query(text),
      ...(options.agentId && { agentId: options.agentId }),
      limit: options.limit ?? 20,
      offset: 0,
    })
  const found = async (text: string, options?: Parameters<typeof find>[1]) =>
    (await find(text, options)).hits.map((hit) => hit.message?.id ?? `name:${hit.session.id}`)

  it('finds names and messages of the owner only, with their session, message and text', async () => {
    await session(uuid(1), {
      name: 'Onboarding study',
      prompt: 'Plan a user interview',
      reply: 'Here are questions for the interview',
    })
    await session(uuid(2), { prompt: 'Unrelated words' })
    await session(uuid(3), { prompt: 'Another interview' }, { owner: 'bob' })
    const page = await find('interview ')
    expect(page.more).toBe(false)
    expect(page.hits.map((hit) => hit.message?.id).sort()).toEqual([
      `${uuid(1).slice(0, -2)}01`,
      `${uuid(1).slice(0, -2)}02`,
    ])
    const reply = page.hits.find((hit) => hit.message?.role === 'assistant')
    expect(reply).toMatchObject({
      session: { id: uuid(1), agentId: 'echo', name: 'Onboarding study', updatedAt: T0 },
      message: { createdAt: T0 },
      text: 'Here are questions for the interview',
    })
    expect(await found('onboarding')).toEqual([`name:${uuid(1)}`])
    expect(await found('interview', { owner: 'bob' })).toEqual([`${uuid(3).slice(0, -2)}01`])
    expect(await found('interview', { owner: 'carol' })).toEqual([])
  })

  it("gives each hit its session's summary as the sidebar lists it: count and latest message", async () => {
    await session(uuid(1), {
      prompt: 'A wombat question',
      reply: `The wombat ${'answer '.repeat(60)}`,
    })
    await session(uuid(2), { name: 'Wombat notes', prompt: 'Nothing else' }, { at: 1000 })
    const listed = new Map(
      (await store.recentSessions({ owner: 'alice', limit: 10 })).map((row) => [row.id, row]),
    )
    const hits = (await find('wombat ')).hits
    expect(hits.map((hit) => hit.message?.id ?? `name:${hit.session.id}`).sort()).toEqual([
      `${uuid(1).slice(0, -2)}01`,
      `${uuid(1).slice(0, -2)}02`,
      `name:${uuid(2)}`,
    ])
    for (const hit of hits) expect(hit.session).toEqual(listed.get(hit.session.id))
    expect(listed.get(uuid(1))?.activity).toMatchObject({ messageCount: 2 })
  })

  it('keeps owners apart whose ids begin alike', async () => {
    const owners = ['a', 'ab', 'bench-owner', 'bench-owner-1', 'Bench-Owner']
    for (const [n, owner] of owners.entries())
      await session(uuid(n + 1), { prompt: `shared quokka ${n}` }, { owner })
    for (const [n, owner] of owners.entries())
      expect(await found('quokka', { owner })).toEqual([`${uuid(n + 1).slice(0, -2)}01`])
  })

  it('ranks the most recent matches only, when more match than it ranks', async () => {
    await session(uuid(1), { prompt: 'opening words' })
    const db = database.kysely()
    const id = (n: number) => `00000000-0000-7000-8000-1${String(n).padStart(11, '0')}`
    // The best match first, then RANKED_WINDOW weaker ones, each newer than the one before;
    // the best and the newest also have a word no other text has.
    const texts = [
      'echidna echidna echidna bilby bilby bilby bilby',
      ...Array(RANKED_WINDOW - 1).fill('bilby numbat'),
      'bilby echidna',
    ]
    for (let start = 0; start < texts.length; start += 250)
      await db
        .insertInto('messages')
        .values(
          texts.slice(start, start + 250).map((text, i) => ({
            id: id(start + i),
            session_id: uuid(1),
            position: start + i + 1,
            role: 'user' as const,
            text,
            created_at: later(1000 + start + i).getTime(),
          })),
        )
        .execute()
    await db.destroy()
    // The best is outside the window: the pages hold the window's hits and end with it.
    const page = await find('bilby ')
    expect(page.more).toBe(true)
    expect(page.hits.map((hit) => hit.message?.id)).not.toContain(id(0))
    const last = await store.searchSessions({
      owner: 'alice',
      query: query('bilby '),
      limit: 20,
      offset: RANKED_WINDOW - 20,
    })
    expect(last.more).toBe(false)
    expect(last.hits).toHaveLength(20)
    expect(last.hits.map((hit) => hit.message?.id)).not.toContain(id(0))
    // Where fewer match than the window holds, every match is ranked.
    expect(await found('echidna ')).toEqual([id(0), id(RANKED_WINDOW)])
  })

  it('takes words, phrases, exclusions and prefixes, and one agent when asked', async () => {
    await session(uuid(1), { prompt: 'user interview about onboarding' })
    await session(uuid(2), { prompt: 'interview the user, first draft' }, { agentId: 'llm' })
    await session(uuid(3), { prompt: 'onboarding emails at example.com' })
    const m = (n: number) => `${uuid(n).slice(0, -2)}01`
    expect((await found('user interview ')).sort()).toEqual([m(1), m(2)])
    expect(await found('"user interview"')).toEqual([m(1)])
    expect(await found('interview -draft')).toEqual([m(1)])
    expect(await found('interview -"first draft"')).toEqual([m(1)])
    expect((await found('onboard')).sort()).toEqual([m(1), m(3)])
    expect(await found('onboard ')).toEqual([])
    expect(await found('interview', { agentId: 'llm' })).toEqual([m(2)])
    // Words inside hosts and addresses are words, on both engines.
    expect(await found('example ')).toEqual([m(3)])
    expect(await found('USER Interview -DRAFT')).toEqual([m(1)])
  })

  it('finds prefixes of every length, within and past the lengths SQLite keeps lists of', async () => {
    await session(uuid(1), { prompt: 'onboarding checklist' })
    await session(uuid(2), { prompt: 'onboard the team' })
    await session(uuid(3), { prompt: 'on board at last' })
    const m = (n: number) => `${uuid(n).slice(0, -2)}01`
    expect((await found('on')).sort()).toEqual([m(1), m(2), m(3)])
    expect((await found('onbo')).sort()).toEqual([m(1), m(2)])
    expect((await found('onboard')).sort()).toEqual([m(1), m(2)])
    expect(await found('onboardi')).toEqual([m(1)])
    expect(await found('onboardin')).toEqual([m(1)])
    expect(await found('onboarding')).toEqual([m(1)])
    expect(await found('onboardings')).toEqual([])
    expect(await found('on -onboa*')).toEqual([m(3)])
  })

  it('ranks better matches first, equal ones newest first, and pages through them', async () => {
    await session(uuid(1), { prompt: 'budget' }, { at: 0 })
    await session(uuid(2), { prompt: 'budget budget budget review' }, { at: 1000 })
    await session(uuid(3), { prompt: 'budget' }, { at: 2000 })
    const m = (n: number) => `${uuid(n).slice(0, -2)}01`
    const all = await found('budget')
    expect(all[0]).toBe(m(2))
    expect(all.slice(1)).toEqual([m(3), m(1)])
    const first = await find('budget', { limit: 2 })
    expect(first.more).toBe(true)
    const second = await store.searchSessions({
      owner: 'alice',
      query: query('budget'),
      limit: 2,
      offset: 2,
    })
    expect(second).toMatchObject({ more: false, hits: [{ message: { id: m(1) } }] })
  })

  it('looks only in the sessions the list filters let through: archived, pinned, tags, metadata', async () => {
    const m = (n: number) => `${uuid(n).slice(0, -2)}01`
    for (let n = 1; n <= 4; n++) await session(uuid(n), { prompt: `filtered echidna ${n}` })
    const patch = (n: number, fields: Omit<SessionPatch, 'maxMetadataPairs'>) =>
      store.updateSession('alice', uuid(n), { ...fields, maxMetadataPairs: 16 })
    await patch(1, { archived: true })
    await patch(2, { pinned: true, tags: ['research'] })
    await patch(3, { tags: ['research'], metadata: { project: 'alpha' } })
    const filter = (fields: Partial<SessionFilter>): SessionFilter => ({
      archived: false,
      tags: [],
      metadata: [],
      ...fields,
    })
    const hits = async (f?: SessionFilter) =>
      (
        await store.searchSessions({
          owner: 'alice',
          query: query('echidna'),
          ...(f && { filter: f }),
          limit: 20,
          offset: 0,
        })
      ).hits
        .map((hit) => hit.message?.id)
        .sort()
    expect(await hits()).toEqual([m(2), m(3), m(4)])
    expect(await hits(filter({ archived: true }))).toEqual([m(1)])
    expect(await hits(filter({ pinned: true }))).toEqual([m(2)])
    expect(await hits(filter({ pinned: false }))).toEqual([m(3), m(4)])
    expect(await hits(filter({ tags: ['research'] }))).toEqual([m(2), m(3)])
    expect(await hits(filter({ tags: ['research'], metadata: [['project', 'alpha']] }))).toEqual([
      m(3),
    ])
    expect(await hits(filter({ metadata: [['project', 'beta']] }))).toEqual([])
  })

  it('follows every write: turns, replies, titles, renames and deletes', async () => {
    await session(uuid(1), {
      name: 'first words',
      prompt: 'first words',
      reply: 'a reply',
      title: 'Kangaroo title',
    })
    expect(await found('kangaroo')).toEqual([`name:${uuid(1)}`])
    expect(await found('first ')).toEqual([`${uuid(1).slice(0, -2)}01`])
    await store.renameSession('alice', uuid(1), 'Wombat')
    expect(await found('kangaroo')).toEqual([])
    expect(await found('wombat')).toEqual([`name:${uuid(1)}`])
    await store.startTurn({
      owner: 'alice',
      sessionId: uuid(1),
      now: later(5000),
      message: { id: `${uuid(1).slice(0, -2)}03`, text: 'platypus question' },
      run: claim(),
    })
    expect(await found('platypus')).toEqual([`${uuid(1).slice(0, -2)}03`])
    expect(await store.deleteSession('alice', uuid(1), { force: true })).toBe('deleted')
    for (const word of ['wombat', 'platypus', 'first', 'reply'])
      expect(await found(word)).toEqual([])
  })

  it('gives each hit a snippet through the service, and pages with a cursor', async () => {
    for (let n = 1; n <= 3; n++)
      await session(uuid(n), { prompt: `the <quarterly> report number ${n}` }, { at: n * 1000 })
    const page = await searchSessions(store, { owner: 'alice', q: 'quarter', limit: 2 })
    if (typeof page === 'string') throw new Error(page)
    expect(page.hits.map((hit) => hit.snippet)).toEqual([
      'the &lt;<mark>quarterly</mark>&gt; report number 3',
      'the &lt;<mark>quarterly</mark>&gt; report number 2',
    ])
    const next = await searchSessions(store, {
      owner: 'alice',
      q: 'quarter',
      limit: 2,
      ...(page.nextCursor && { cursor: page.nextCursor }),
    })
    if (typeof next === 'string') throw new Error(next)
    expect(next.hits.map((hit) => hit.message?.id)).toEqual([`${uuid(1).slice(0, -2)}01`])
    expect(next.nextCursor).toBeUndefined()
    expect(await searchSessions(store, { owner: 'alice', q: 'x', limit: 2, cursor: 'nope' })).toBe(
      'invalid_cursor',
    )
  })

  it('indexes, when migrated, the sessions and messages written before search', async () => {
    const fresh = await databases.newDatabase()
    const db = fresh.kysely()
    const names = Object.keys(migrationsFor(databases.dialect)).sort()
    const before = names[names.indexOf('0025_search') - 1] as string
    const migrator = new Migrator({ db, provider: migrationProvider(databases.dialect) })
    expect((await migrator.migrateTo(before)).error).toBeUndefined()
    await db
      .insertInto('sessions')
      .values({
        id: uuid(9),
        owner: 'alice',
        agent_id: 'echo',
        name: 'Old echidna',
        status: 'Ready',
        created_at: T0.getTime(),
        updated_at: T0.getTime(),
      })
      .execute()
    await db
      .insertInto('messages')
      .values({
        id: uuid(10),
        session_id: uuid(9),
        position: 0,
        role: 'user',
        text: 'an old numbat',
        created_at: T0.getTime(),
      })
      .execute()
    await db.destroy()
    await store.close()
    store = fresh.open()
    await store.migrate()
    expect(await found('echidna')).toEqual([`name:${uuid(9)}`])
    expect(await found('numbat')).toEqual([uuid(10)])
    await store.checkReady()
  })

  it('answers any query without an error (property)', async () => {
    await session(uuid(1), { prompt: 'a "quoted" NOT AND OR (x) * ^ text: here' })
    const alphabet = fc.constantFrom(
      ...'aq x"-*()\':^~&|!<>\\NOTANDOR .é東\u0000'.split(''),
      'NOT',
      'AND',
      'NEAR(',
      ':*',
      '<->',
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: alphabet }), fc.string()), async (text) => {
        const page = await searchSessions(store, { owner: 'alice', q: text, limit: 5 })
        if (typeof page === 'string') expect(['no_terms', 'too_many_terms']).toContain(page)
        else expect(Array.isArray(page.hits)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})
