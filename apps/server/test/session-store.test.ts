/**
 * The store's contract, run unchanged against SQLite and PostgreSQL (a throwaway embedded
 * server, or TEST_DATABASE_URL's): each test gets an empty database of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FILE_CHUNK_BYTES } from '../src/domain/file-chunks.ts'
import { IdempotencyKeyTaken, type KeyCommit } from '../src/domain/idempotency-store.ts'
import type {
  MessageCursor,
  NewFile,
  RunClaim,
  SessionFilter,
  SessionStore,
} from '../src/domain/session-store.ts'
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { StoreInUseError } from '../src/storage/sqlite/writer-lock.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

/** Opens stores on one new, empty database: each call is another connection (instance). */
interface StoreFactory {
  name: string
  /**
   * Whether several instances may share the database. SQLite is one process's: its store is
   * one connection, and "two instances" are that one store.
   */
  shared: boolean
  setUp(): Promise<void>
  tearDown(): Promise<void>
  /** A new database; `open()` gives stores on it. */
  newDatabase(): Promise<{ open(): SessionStore }>
}

let postgres: TestPostgres | undefined
const sqliteDirs: string[] = []

const factories: StoreFactory[] = [
  {
    name: 'SQLite',
    shared: false,
    async setUp() {},
    async tearDown() {
      for (const dir of sqliteDirs.splice(0)) await rm(dir, { recursive: true, force: true })
    },
    async newDatabase() {
      const dir = await mkdtemp(join(tmpdir(), 'uxmate-store-'))
      sqliteDirs.push(dir)
      return { open: () => openSqliteStore(join(dir, 'uxmate.sqlite')) }
    },
  },
  {
    name: 'PostgreSQL',
    shared: true,
    async setUp() {
      postgres = await startTestPostgres()
    },
    async tearDown() {
      await postgres?.stop()
    },
    async newDatabase() {
      if (!postgres) throw new Error('PostgreSQL is not started')
      const url = await postgres.newDatabase()
      return { open: () => openPostgresStore({ connectionString: url, max: 4 }).store }
    },
  },
]

const at = (iso: string) => new Date(iso)
const OWNER = 'alice'
const T0 = at('2031-05-01T10:00:00.000Z')
const later = (ms: number) => new Date(T0.getTime() + ms)

const claim = (instance = 'instance-a', runId: string = crypto.randomUUID(), leaseMs = 15_000) =>
  ({ runId, instance, leaseExpiresAt: later(leaseMs) }) satisfies RunClaim

const bytes = (...values: number[]) => new Uint8Array(values)

function file(id: string, data: Uint8Array, name = `${id}.bin`): NewFile {
  return {
    id,
    name,
    contentType: 'application/octet-stream',
    size: data.byteLength,
    sha256: 'x',
    chunks: [data],
  }
}

describe.each(factories)('$name store', (factory) => {
  const opened: SessionStore[] = []
  let open: () => SessionStore

  /** A migrated store on this test's database. */
  const store = async () => {
    const next = open()
    opened.push(next)
    await next.migrate()
    return next
  }

  /** Two instances on the database: two connections (pools) where the store can be shared. */
  const twoInstances = async (): Promise<[SessionStore, SessionStore]> => {
    const a = await store()
    return [a, factory.shared ? await store() : a]
  }

  const newSession = (
    target: SessionStore,
    id: string,
    options: { now?: Date; run?: RunClaim } = {},
  ) =>
    target.createSession({
      owner: OWNER,
      id,
      agentId: 'echo',
      name: `session ${id}`,
      now: options.now ?? T0,
      message: { id: `${id}-m1`, text: `hello from ${id}`, files: [] },
      run: options.run ?? claim(),
    })

  /** Ends the session's current run as `Ready` with a reply. */
  const finish = async (target: SessionStore, id: string, now = later(1_000)) => {
    const session = await target.getSessionHeader(OWNER, id)
    return target.finishRun({
      sessionId: id,
      runId: session?.run?.runId ?? '',
      now,
      reply: { id: `${id}-reply-${now.getTime()}`, text: 'the reply' },
      status: 'Ready',
      error: null,
      lastEventId: session?.lastEventId ?? 0,
    })
  }

  beforeAll(() => factory.setUp(), 60_000)
  afterAll(() => factory.tearDown(), 60_000)
  beforeEach(async () => {
    open = (await factory.newDatabase()).open
  })
  afterEach(async () => {
    for (const each of opened.splice(0)) await each.close()
  })

  it('migrates an empty database, once, and is then ready', async () => {
    const fresh = open()
    opened.push(fresh)
    await expect(fresh.checkReady()).rejects.toThrow()
    await fresh.migrate()
    await fresh.migrate()
    await expect(fresh.checkReady()).resolves.toBeUndefined()
    if (!factory.shared) {
      // One writer per SQLite file: a second store on it is refused until the first closes.
      expect(() => open()).toThrow(StoreInUseError)
      await fresh.close()
      opened.splice(opened.indexOf(fresh), 1)
      const next = open()
      opened.push(next)
      await expect(next.checkReady()).resolves.toBeUndefined()
      return
    }
    // Several instances starting at once migrate the same database without a clash.
    const others = [open(), open()]
    opened.push(...others)
    await Promise.all(others.map((other) => other.migrate()))
  })

  it('stores a session with its first message, files and run, and reads it back', async () => {
    const s = await store()
    const data = bytes(0, 1, 2, 255, 0, 128)
    const run = claim('instance-a')
    const created = await s.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'Notes',
      now: T0,
      message: {
        id: 'm1',
        text: 'Summarise',
        files: [file('f1', data, 'notes.bin'), file('f2', bytes(), 'empty.txt')],
      },
      run,
    })
    expect(created).toEqual({
      id: 's1',
      owner: OWNER,
      agentId: 'echo',
      name: 'Notes',
      routineId: null,
      status: 'Running',
      error: null,
      createdAt: T0,
      updatedAt: T0,
      lastEventId: 0,
      run,
      pinned: false,
      archived: false,
      tags: [],
      metadata: {},
      activeLeafId: 'm1',
      messages: [
        {
          id: 'm1',
          parentId: null,
          role: 'user',
          text: 'Summarise',
          createdAt: T0,
          files: [
            {
              id: 'f1',
              name: 'notes.bin',
              contentType: 'application/octet-stream',
              size: 6,
              sha256: 'x',
            },
            {
              id: 'f2',
              name: 'empty.txt',
              contentType: 'application/octet-stream',
              size: 0,
              sha256: 'x',
            },
          ],
        },
      ],
    })
    expect(await s.getSession(OWNER, 's1')).toEqual(created)
    expect(await s.getSession(OWNER, 'nope')).toBeUndefined()
    const found = await s.getFile(OWNER, 's1', 'f1')
    expect(found?.file.name).toBe('notes.bin')
    expect([...(found?.data ?? [])]).toEqual([...data])
    expect([...((await s.readFileBytes('s1', 'f1', 3)) ?? [])]).toEqual([0, 1, 2])
    expect([...((await s.readFileBytes('s1', 'f1')) ?? [])]).toEqual([...data])
    expect((await s.readFileBytes('s1', 'f2'))?.byteLength).toBe(0)
    expect(await s.getFile(OWNER, 'other-session', 'f1')).toBeUndefined()
  })

  it('stores a file from pieces of any size, over several rows, and reads back any prefix', async () => {
    const s = await store()
    const size = 2 * FILE_CHUNK_BYTES + 5
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7) % 256)
    // Pieces as an upload gives them, and one over a row's size (an import's, a data: URL's).
    const pieces = [
      data.subarray(0, 10),
      data.subarray(10, FILE_CHUNK_BYTES + 3),
      data.subarray(FILE_CHUNK_BYTES + 3),
    ]
    await s.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'Big',
      now: T0,
      message: { id: 'm1', text: 'a big file', files: [{ ...file('f1', data), chunks: pieces }] },
      run: claim(),
    })
    expect(Buffer.from((await s.getFile(OWNER, 's1', 'f1'))?.data ?? []).equals(data)).toBe(true)
    for (const maxBytes of [
      0,
      1,
      FILE_CHUNK_BYTES - 1,
      FILE_CHUNK_BYTES,
      FILE_CHUNK_BYTES + 1,
      size,
      size + 1,
    ]) {
      const prefix = await s.readFileBytes('s1', 'f1', maxBytes)
      expect(Buffer.from(prefix ?? []).equals(data.subarray(0, maxBytes))).toBe(true)
    }
    expect(await s.readFileBytes('s1', 'nope')).toBeUndefined()
  })

  it('writes a session whole or not at all', async () => {
    const s = await store()
    await newSession(s, 'first')
    // The second file's id is taken: the session, its message and first file go too.
    await expect(
      s.createSession({
        owner: OWNER,
        id: 'second',
        agentId: 'echo',
        name: 'x',
        now: T0,
        message: { id: 'm', text: 'x', files: [file('new', bytes(1)), file('new', bytes(2))] },
        run: claim(),
      }),
    ).rejects.toThrow()
    expect(await s.getSession(OWNER, 'second')).toBeUndefined()
    expect(await s.getFile(OWNER, 'second', 'new')).toBeUndefined()
  })

  it('starts a turn only when no run is in progress', async () => {
    const s = await store()
    await newSession(s, 's1')
    const turn = (text: string, run = claim()) =>
      s.startTurn({
        owner: OWNER,
        sessionId: 's1',
        now: later(2_000),
        message: { id: `m-${text}`, text },
        run,
      })
    expect(await turn('while running')).toBe('busy')
    expect(
      await s.startTurn({
        owner: OWNER,
        sessionId: 'nope',
        now: T0,
        message: { id: 'x', text: 'x' },
        run: claim(),
      }),
    ).toBe('not_found')
    expect((await finish(s, 's1')).recorded).toBe(true)
    const run = claim('instance-b')
    const next = await turn('again', run)
    expect(next).toMatchObject({ status: 'Running', run, updatedAt: later(2_000) })
    expect(typeof next === 'object' && next.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'hello from s1'],
      ['assistant', 'the reply'],
      ['user', 'again'],
    ])
  })

  it('lets exactly one of many concurrent turns start, across connections', async () => {
    const [a, b] = await twoInstances()
    await newSession(a, 's1')
    await finish(a, 's1')
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).startTurn({
          owner: OWNER,
          sessionId: 's1',
          now: later(5_000),
          message: { id: `turn-${i}`, text: `turn ${i}` },
          run: claim(i % 2 ? 'instance-a' : 'instance-b'),
        }),
      ),
    )
    const started = results.filter((result) => typeof result === 'object')
    expect(started).toHaveLength(1)
    expect(results.filter((result) => result === 'busy')).toHaveLength(7)
    const session = await b.getSession(OWNER, 's1')
    // The winner's message is there, and only it.
    expect(session?.messages).toHaveLength(3)
    expect(session?.messages.at(-1)?.id).toBe(
      typeof started[0] === 'object' ? started[0].messages.at(-1)?.id : undefined,
    )
  })

  it('records the end of a run: reply, status, event id, title unless renamed', async () => {
    const s = await store()
    await newSession(s, 's1')
    const header = await s.getSessionHeader(OWNER, 's1')
    const runId = header?.run?.runId ?? ''
    const outcome = await s.finishRun({
      sessionId: 's1',
      runId,
      now: later(3_000),
      reply: { id: 'r1', text: 'Answer' },
      status: 'Ready',
      error: null,
      lastEventId: 17,
      title: { name: 'A title', replaces: 'session s1' },
    })
    expect(outcome).toEqual({
      recorded: true,
      queued: false,
      reply: {
        id: 'r1',
        parentId: 's1-m1',
        role: 'assistant',
        text: 'Answer',
        createdAt: later(3_000),
        files: [],
      },
    })
    expect(await s.getSessionHeader(OWNER, 's1')).toMatchObject({
      name: 'A title',
      status: 'Ready',
      lastEventId: 17,
      updatedAt: later(3_000),
      run: null,
    })

    await newSession(s, 's2')
    await s.renameSession(OWNER, 's2', 'Mine')
    const s2 = await s.getSessionHeader(OWNER, 's2')
    await s.finishRun({
      sessionId: 's2',
      runId: s2?.run?.runId ?? '',
      now: later(3_000),
      reply: null,
      status: 'Flushed',
      error: { code: 'agent_error', message: 'boom' },
      lastEventId: 3,
      title: { name: 'Agent title', replaces: 'session s2' },
    })
    expect(await s.getSession(OWNER, 's2')).toMatchObject({
      name: 'Mine',
      status: 'Flushed',
      error: { code: 'agent_error', message: 'boom' },
    })
    expect((await s.getSession(OWNER, 's2'))?.messages).toHaveLength(1)
  })

  it('says at the end of a run whether turns are queued behind it', async () => {
    const s = await store()
    await newSession(s, 's1')
    await newSession(s, 's2')
    const queued = await s.enqueueTurn({
      owner: OWNER,
      sessionId: 's1',
      turn: { id: 'q1', kind: 'continue', text: 'And then?', messageId: null, createdAt: later(1) },
      maxQueued: 10,
    })
    expect(queued).toBe('queued')
    const end = async (sessionId: string) =>
      s.finishRun({
        sessionId,
        runId: (await s.getSessionHeader(OWNER, sessionId))?.run?.runId ?? '',
        now: later(2),
        reply: null,
        status: 'Ready',
        error: null,
        lastEventId: 3,
      })
    expect(await end('s1')).toMatchObject({ recorded: true, queued: true })
    expect(await end('s2')).toMatchObject({ recorded: true, queued: false })
  })

  it('records nothing for a run the session is no longer on', async () => {
    const s = await store()
    await newSession(s, 's1', { run: claim('a', 'run-1') })
    const stale = {
      sessionId: 's1',
      runId: 'run-0',
      now: later(1),
      reply: { id: 'late', text: 'late' },
      status: 'Ready' as const,
      error: null,
      lastEventId: 5,
    }
    expect(await s.finishRun(stale)).toEqual({ reply: null, recorded: false, queued: false })
    expect(await s.getSession(OWNER, 's1')).toMatchObject({ status: 'Running', lastEventId: 0 })
    expect((await s.getSession(OWNER, 's1'))?.messages).toHaveLength(1)
  })

  it('reserves event ids that only increase', async () => {
    const s = await store()
    await newSession(s, 's1')
    expect(await s.reserveEventIds('s1', 1000)).toBe(1)
    expect(await s.reserveEventIds('s1', 1000)).toBe(1001)
    await expect(s.reserveEventIds('nope', 10)).rejects.toThrow()
  })

  it('reserves the first event ids in the transaction of the create and of the turn', async () => {
    const s = await store()
    const created = await s.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'session s1',
      now: T0,
      message: { id: 's1-m1', text: 'hello', files: [] },
      run: claim(),
      reserveEventIds: 1000,
    })
    if (created === 'id_taken') throw new Error('s1 was taken')
    expect(created.lastEventId).toBe(1000)
    // Further blocks follow the reserved one.
    expect(await s.reserveEventIds('s1', 1000)).toBe(1001)
    await s.finishRun({
      sessionId: 's1',
      runId: created.run?.runId ?? '',
      now: later(1),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 1005,
    })
    const turn = await s.startTurn({
      owner: OWNER,
      sessionId: 's1',
      now: later(2),
      message: { id: 'm2', text: 'again' },
      run: claim(),
      reserveEventIds: 1000,
    })
    expect(turn).toMatchObject({ lastEventId: 2005 })
    // A busy session reserves nothing.
    expect(
      await s.startTurn({
        owner: OWNER,
        sessionId: 's1',
        now: later(3),
        message: { id: 'm3', text: 'busy' },
        run: claim(),
        reserveEventIds: 1000,
      }),
    ).toBe('busy')
    expect((await s.getSessionHeader(OWNER, 's1'))?.lastEventId).toBe(2005)
  })

  it('renames, and says when there is no session', async () => {
    const s = await store()
    await newSession(s, 's1')
    expect((await s.renameSession(OWNER, 's1', 'New name'))?.name).toBe('New name')
    expect((await s.getSessionHeader(OWNER, 's1'))?.updatedAt).toEqual(T0)
    expect(await s.renameSession(OWNER, 'nope', 'x')).toBeUndefined()
  })

  it('pins, archives, tags and merges metadata in one write, leaving updated_at', async () => {
    const s = await store()
    await newSession(s, 's1')
    const max = { maxMetadataPairs: 3 }
    const updated = await s.updateSession(OWNER, 's1', {
      ...max,
      name: 'Kept',
      pinned: true,
      archived: true,
      tags: ['b', 'a'],
      metadata: { project: 'alpha', team: 'ux' },
    })
    expect(updated).toMatchObject({
      name: 'Kept',
      pinned: true,
      archived: true,
      tags: ['b', 'a'],
      metadata: { project: 'alpha', team: 'ux' },
      updatedAt: T0,
      messages: [{ id: 's1-m1' }],
    })
    // A merge: null removes, a new key is added, the rest stays; fields left out stay too.
    expect(
      await s.updateSession(OWNER, 's1', {
        ...max,
        archived: false,
        metadata: { team: null, stage: 'draft' },
      }),
    ).toMatchObject({
      name: 'Kept',
      pinned: true,
      archived: false,
      tags: ['b', 'a'],
      metadata: { project: 'alpha', stage: 'draft' },
    })
    // Past the limit after the merge: refused, nothing changed (the pin included).
    expect(
      await s.updateSession(OWNER, 's1', { ...max, pinned: false, metadata: { c: '1', d: '2' } }),
    ).toBe('too_much_metadata')
    expect(await s.getSessionHeader(OWNER, 's1')).toMatchObject({
      pinned: true,
      metadata: { project: 'alpha', stage: 'draft' },
    })
    // At the limit is fine; an empty set of tags clears them.
    expect(
      await s.updateSession(OWNER, 's1', { ...max, tags: [], metadata: { c: '1' } }),
    ).toMatchObject({ tags: [], metadata: { project: 'alpha', stage: 'draft', c: '1' } })
    expect(await s.updateSession(OWNER, 'nope', { ...max, pinned: true })).toBeUndefined()
    expect(await s.updateSession('bob', 's1', { ...max, pinned: false })).toBeUndefined()
    expect((await s.recentSessions({ owner: OWNER, limit: 1 }))[0]).toMatchObject({
      pinned: true,
      archived: false,
      tags: [],
      metadata: { project: 'alpha', stage: 'draft', c: '1' },
    })
  })

  it('filters lists by archive, pin, tags and metadata pairs, and tells their activity', async () => {
    const s = await store()
    const max = { maxMetadataPairs: 16 }
    for (const [index, id] of ['a', 'b', 'c', 'd'].entries())
      await newSession(s, id, { now: later(index * 1_000) })
    await finish(s, 'a', later(10_000))
    await s.updateSession(OWNER, 'a', { ...max, pinned: true, tags: ['x', 'y'] })
    await s.updateSession(OWNER, 'b', { ...max, tags: ['x'], metadata: { p: 'alpha', q: '1' } })
    await s.updateSession(OWNER, 'c', { ...max, archived: true, tags: ['x'] })
    await s.updateSession(OWNER, 'd', { ...max, metadata: { p: 'beta' } })
    const ids = async (filter: Partial<SessionFilter>) =>
      (
        await s.listSessions({
          owner: OWNER,
          agentId: 'echo',
          limit: 10,
          filter: { archived: false, tags: [], metadata: [], ...filter },
        })
      ).sessions.map((x) => x.id)
    expect(await ids({})).toEqual(['a', 'd', 'b'])
    expect(await ids({ archived: true })).toEqual(['c'])
    expect(await ids({ pinned: true })).toEqual(['a'])
    expect(await ids({ pinned: false })).toEqual(['d', 'b'])
    expect(await ids({ tags: ['x'] })).toEqual(['a', 'b'])
    expect(await ids({ tags: ['x', 'y'] })).toEqual(['a'])
    expect(await ids({ metadata: [['p', 'alpha']] })).toEqual(['b'])
    expect(
      await ids({
        tags: ['x'],
        metadata: [
          ['p', 'alpha'],
          ['q', '1'],
        ],
      }),
    ).toEqual(['b'])
    expect(
      await ids({
        metadata: [
          ['p', 'alpha'],
          ['q', '2'],
        ],
      }),
    ).toEqual([])
    // A tag is not a metadata key, nor the other way round.
    expect(await ids({ tags: ['p'] })).toEqual([])
    expect(await ids({ metadata: [['x', '']] })).toEqual([])
    // Without a filter, as before: the archived one hidden.
    expect(
      (await s.listSessions({ owner: OWNER, agentId: 'echo', limit: 10 })).sessions.map(
        (x) => x.id,
      ),
    ).toEqual(['a', 'd', 'b'])

    const bare = await s.listSessions({
      owner: OWNER,
      agentId: 'echo',
      limit: 2,
      withMessages: false,
    })
    expect(bare.sessions.map((x) => [x.id, x.messages, x.activity])).toEqual([
      [
        'a',
        [],
        {
          messageCount: 2,
          lastMessage: { createdAt: later(10_000), preview: 'the reply' },
        },
      ],
      [
        'd',
        [],
        { messageCount: 1, lastMessage: { createdAt: later(3_000), preview: 'hello from d' } },
      ],
    ])
    expect(bare.next).toEqual({ updatedAt: later(3_000), id: 'd' })

    const recent = await s.recentSessions({
      owner: OWNER,
      limit: 10,
      filter: { archived: false, tags: ['x'], metadata: [] },
    })
    expect(
      recent.map((x) => [x.id, x.activity.messageCount, x.activity.lastMessage?.preview]),
    ).toEqual([
      ['a', 2, 'the reply'],
      ['b', 1, 'hello from b'],
    ])
    expect((await s.recentSessions({ owner: OWNER, limit: 10 })).map((x) => x.id)).toEqual([
      'a',
      'd',
      'b',
    ])
  })

  it('rates replies, lists them per agent and range with totals, and forgets them with the session', async () => {
    const s = await store()
    await newSession(s, 'a')
    await finish(s, 'a', later(1_000))
    const reply = `a-reply-${later(1_000).getTime()}`
    const rate = (rating: 'up' | 'down', now: Date, comment?: string, messageId = reply) =>
      s.rateMessage({
        owner: OWNER,
        sessionId: 'a',
        messageId,
        rating,
        now,
        ...(comment && { comment }),
      })
    expect(await rate('up', later(2_000), 'Spot on')).toEqual({
      sessionId: 'a',
      messageId: reply,
      agentId: 'echo',
      rating: 'up',
      comment: 'Spot on',
      createdAt: later(2_000),
      updatedAt: later(2_000),
    })
    // Rated again: replaced, the first time kept, the comment gone.
    expect(await rate('down', later(3_000))).toEqual({
      sessionId: 'a',
      messageId: reply,
      agentId: 'echo',
      rating: 'down',
      createdAt: later(2_000),
      updatedAt: later(3_000),
    })
    expect(await rate('up', later(3_000), undefined, 'a-m1')).toBe('not_assistant')
    expect(await rate('up', later(3_000), undefined, 'nope')).toBe('not_found')
    expect(
      await s.rateMessage({
        owner: 'bob',
        sessionId: 'a',
        messageId: reply,
        rating: 'up',
        now: T0,
      }),
    ).toBe('not_found')
    // On the message, wherever messages are read.
    const feedback = { rating: 'down', updatedAt: later(3_000) }
    expect((await s.getSession(OWNER, 'a'))?.messages.map((m) => m.feedback)).toEqual([
      undefined,
      feedback,
    ])
    expect(
      (await s.listMessages({ owner: OWNER, sessionId: 'a', order: 'desc', limit: 1 }))?.messages[0]
        ?.feedback,
    ).toEqual(feedback)

    // Three more sessions' replies, rated a second apart.
    for (const [index, id] of ['b', 'c', 'd'].entries()) {
      await newSession(s, id)
      await finish(s, id, later(1_000))
      await s.rateMessage({
        owner: OWNER,
        sessionId: id,
        messageId: `${id}-reply-${later(1_000).getTime()}`,
        rating: index === 1 ? 'down' : 'up',
        now: later(10_000 + index * 1_000),
      })
    }
    const list = (query: {
      from?: Date
      to?: Date
      rating?: 'up' | 'down'
      limit?: number
      after?: { updatedAt: Date; id: string }
    }) =>
      s.listFeedback({
        owner: OWNER,
        agentId: 'echo',
        from: T0,
        to: later(60_000),
        limit: 10,
        ...query,
      })
    const all = await list({})
    expect(all.entries.map((e) => e.sessionId)).toEqual(['d', 'c', 'b', 'a'])
    expect(all.totals).toEqual({ up: 2, down: 2 })
    expect(all.next).toBeUndefined()
    const first = await list({ limit: 3 })
    expect(first.entries.map((e) => e.sessionId)).toEqual(['d', 'c', 'b'])
    expect((await list({ limit: 3, after: first.next })).entries.map((e) => e.sessionId)).toEqual([
      'a',
    ])
    const downs = await list({ rating: 'down' })
    expect(downs.entries.map((e) => e.sessionId)).toEqual(['c', 'a'])
    expect(downs.totals).toEqual({ up: 2, down: 2 })
    const range = await list({ from: later(10_000), to: later(12_000) })
    expect(range.entries.map((e) => e.sessionId)).toEqual(['c', 'b'])
    expect(range.totals).toEqual({ up: 1, down: 1 })
    expect(
      (
        await s.listFeedback({
          owner: 'bob',
          agentId: 'echo',
          from: T0,
          to: later(60_000),
          limit: 10,
        })
      ).entries,
    ).toEqual([])

    expect(await s.deleteFeedback(OWNER, 'a', reply)).toBe('deleted')
    expect(await s.deleteFeedback(OWNER, 'a', reply)).toBe('not_found')
    expect((await s.getSession(OWNER, 'a'))?.messages[1]?.feedback).toBeUndefined()
    await s.deleteSession(OWNER, 'b')
    expect((await list({})).entries.map((e) => e.sessionId)).toEqual(['d', 'c'])
  })

  it('pages an agent sessions newest first, ties broken by id, and lists recent ones', async () => {
    const s = await store()
    for (const [id, ms] of [
      ['a', 0],
      ['b', 1_000],
      ['c', 1_000],
      ['d', 2_000],
      ['e', 3_000],
    ] as const)
      await newSession(s, id, { now: later(ms) })
    await s.createSession({
      owner: OWNER,
      id: 'other',
      agentId: 'helper',
      name: 'x',
      now: later(10_000),
      message: { id: 'om', text: 'x', files: [] },
      run: claim(),
    })
    const first = await s.listSessions({ owner: OWNER, agentId: 'echo', limit: 2 })
    expect(first.sessions.map((x) => x.id)).toEqual(['e', 'd'])
    expect(first.sessions[0]?.messages).toHaveLength(1)
    const second = await s.listSessions({
      owner: OWNER,
      agentId: 'echo',
      limit: 2,
      after: first.next,
    })
    expect(second.sessions.map((x) => x.id)).toEqual(['c', 'b'])
    const last = await s.listSessions({
      owner: OWNER,
      agentId: 'echo',
      limit: 2,
      after: second.next,
    })
    expect(last.sessions.map((x) => x.id)).toEqual(['a'])
    expect(last.next).toBeUndefined()
    expect((await s.recentSessions({ owner: OWNER, limit: 3 })).map((x) => x.id)).toEqual([
      'other',
      'e',
      'd',
    ])
    expect(
      (await s.recentSessions({ owner: OWNER, agentId: 'echo', limit: 10 })).map((x) => x.id),
    ).toEqual(['e', 'd', 'c', 'b', 'a'])
  })

  it('refuses a turn past the session bounds in its transaction, writing nothing', async () => {
    const s = await store()
    await newSession(s, 'bounded')
    await finish(s, 'bounded')
    // Stored: 'hello from bounded' (18 bytes) and 'the reply' (9): 2 messages, 27 bytes.
    const turn = (text: string, bounds: { maxMessages: number; maxTextBytes: number }) =>
      s.startTurn({
        owner: OWNER,
        sessionId: 'bounded',
        now: later(2_000),
        message: { id: `bounded-${text.length}-${bounds.maxMessages}`, text, files: [] },
        run: claim(),
        bounds,
      })
    expect(await turn('ab', { maxMessages: 3, maxTextBytes: 1000 })).toBe('too_many_messages')
    expect(await turn('éé', { maxMessages: 4, maxTextBytes: 30 })).toBe('too_much_text')
    expect((await s.getSession(OWNER, 'bounded'))?.messages).toHaveLength(2)
    expect((await s.getSession(OWNER, 'bounded'))?.status).toBe('Ready')
    // Another owner's id says nothing: not found, whatever the bounds.
    expect(
      await s.startTurn({
        owner: 'mallory',
        sessionId: 'bounded',
        now: later(2_000),
        message: { id: 'm-x', text: 'x', files: [] },
        run: claim(),
        bounds: { maxMessages: 2, maxTextBytes: 1 },
      }),
    ).toBe('not_found')
    expect(await turn('éé', { maxMessages: 4, maxTextBytes: 31 })).toMatchObject({
      status: 'Running',
    })
  })

  it('keeps opaque ids of every documented character and the longest length as they are', async () => {
    const s = await store()
    const ids = [`imported:A.b~c_d-${'9'.repeat(111)}`, 'Chat-1', 'chat-1']
    expect(ids[0]).toHaveLength(128)
    for (const id of ids) await newSession(s, id)
    for (const id of ids) expect((await s.getSession(OWNER, id))?.id).toBe(id)
    expect(await s.getSession(OWNER, 'CHAT-1')).toBeUndefined()
  })

  it('refuses an id taken by any owner, writing nothing, and stores a turn with its files', async () => {
    const s = await store()
    await newSession(s, 'taken')
    const again = await s.createSession({
      owner: 'mallory',
      id: 'taken',
      agentId: 'echo',
      name: 'mine now',
      now: T0,
      message: { id: 'other-m1', text: 'overwrite?', files: [file('mf', bytes(9))] },
      run: claim(),
    })
    expect(again).toBe('id_taken')
    expect(await s.getSession('mallory', 'taken')).toBeUndefined()
    expect((await s.getSession(OWNER, 'taken'))?.name).toBe('session taken')
    expect(await s.getFile('mallory', 'taken', 'mf')).toBeUndefined()

    await finish(s, 'taken')
    const turn = await s.startTurn({
      owner: OWNER,
      sessionId: 'taken',
      now: later(2_000),
      message: { id: 'taken-u2', text: 'and this', files: [file('tf', bytes(1, 2, 3))] },
      run: claim(),
    })
    expect(turn).toMatchObject({ status: 'Running' })
    const stored = await s.getSession(OWNER, 'taken')
    expect(stored?.messages.at(-1)?.files.map((f) => [f.id, f.size])).toEqual([['tf', 3]])
    expect([...((await s.getFile(OWNER, 'taken', 'tf'))?.data ?? [])]).toEqual([1, 2, 3])
  })

  it("pages a session's messages both ways, each once, with their files", async () => {
    const s = await store()
    await s.createSession({
      owner: OWNER,
      id: 'long',
      agentId: 'echo',
      name: 'long',
      now: T0,
      message: { id: 'long-m0', text: 'message 0', files: [file('f0', bytes(1, 2))] },
      run: claim(),
    })
    await finish(s, 'long', later(1))
    for (let turn = 1; turn < 12; turn++) {
      await s.startTurn({
        owner: OWNER,
        sessionId: 'long',
        now: later(turn * 10),
        message: { id: `long-u${turn}`, text: `turn ${turn}` },
        run: claim(),
      })
      await finish(s, 'long', later(turn * 10 + 1))
    }
    const all = (await s.getSession(OWNER, 'long'))?.messages.map((m) => m.id) ?? []
    expect(all).toHaveLength(24)
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = []
      let after: MessageCursor | undefined
      for (let pages = 0; pages < 10; pages++) {
        const page = await s.listMessages({
          owner: OWNER,
          sessionId: 'long',
          order,
          limit: 5,
          after,
        })
        seen.push(...(page?.messages.map((m) => m.id) ?? []))
        after = page?.next
        if (!after) break
      }
      expect(seen).toEqual(order === 'asc' ? all : [...all].reverse())
    }
    const first = await s.listMessages({ owner: OWNER, sessionId: 'long', order: 'asc', limit: 1 })
    expect(first?.messages[0]?.files.map((f) => f.id)).toEqual(['f0'])
    expect(first?.next).toEqual({ order: 'asc', position: 0 })
    expect(
      await s.listMessages({ owner: 'mallory', sessionId: 'long', order: 'asc', limit: 5 }),
    ).toBeUndefined()
    expect(
      await s.listMessages({ owner: OWNER, sessionId: 'nope', order: 'asc', limit: 5 }),
    ).toBeUndefined()
  })

  it('flushes every Running session after a restart of the only instance', async () => {
    const s = await store()
    await newSession(s, 'running')
    await newSession(s, 'done')
    await finish(s, 'done')
    expect(await s.flushInterruptedRuns(later(9_000), 'stopped')).toBe(1)
    expect(await s.getSessionHeader(OWNER, 'running')).toMatchObject({
      status: 'Flushed',
      error: { code: 'interrupted', message: 'stopped' },
      updatedAt: later(9_000),
      run: null,
    })
    expect((await s.getSessionHeader(OWNER, 'done'))?.status).toBe('Ready')
  })

  it('renews the leases of an instance and flushes expired runs once', async () => {
    const [a, b] = await twoInstances()
    await newSession(a, 'kept', { run: claim('instance-a', 'run-k', 1_000) })
    await newSession(a, 'dead', { run: claim('instance-dead', 'run-d', 1_000) })
    await newSession(a, 'other', { run: claim('instance-b', 'run-o', 60_000) })
    await a.reserveEventIds('dead', 1000)

    expect(await a.renewLeases('instance-a', later(20_000))).toEqual(['kept'])
    expect((await a.getSessionHeader(OWNER, 'kept'))?.run?.leaseExpiresAt).toEqual(later(20_000))

    // Two instances reap at the same moment: each expired run is flushed by one of them.
    const [fromA, fromB] = await Promise.all([
      a.flushExpiredRuns(later(5_000), 'gone'),
      b.flushExpiredRuns(later(5_000), 'gone'),
    ])
    expect([...fromA, ...fromB]).toEqual([
      { sessionId: 'dead', runId: 'run-d', errorEventId: 1001, statusEventId: 1002 },
    ])
    // The flushed run gets no more event ids; the session's next run will.
    await expect(a.reserveEventIds('dead', 10, 'run-d')).rejects.toThrow(/no longer in progress/)
    expect(await a.reserveEventIds('kept', 10, 'run-k')).toBeGreaterThan(0)
    expect(await a.getSessionHeader(OWNER, 'dead')).toMatchObject({
      status: 'Flushed',
      error: { code: 'interrupted', message: 'gone' },
      lastEventId: 1002,
      run: null,
    })
    expect((await a.getSessionHeader(OWNER, 'kept'))?.status).toBe('Running')
    expect((await a.getSessionHeader(OWNER, 'other'))?.status).toBe('Running')
    // The dead instance's run can no longer record its end, nor renew its lease.
    expect((await finish(a, 'dead')).recorded).toBe(false)
    expect(await a.renewLeases('instance-dead', later(30_000))).toEqual([])
    // And the session takes a new turn.
    const next = await b.startTurn({
      owner: OWNER,
      sessionId: 'dead',
      now: later(6_000),
      message: { id: 'again', text: 'again' },
      run: claim('instance-b'),
    })
    expect(next).toMatchObject({ status: 'Running' })
  })

  it('keeps times to the millisecond, far from the epoch', async () => {
    const s = await store()
    const when = new Date('2199-12-31T23:59:59.999Z')
    await newSession(s, 's1', { now: when })
    expect((await s.getSession(OWNER, 's1'))?.createdAt).toEqual(when)
    expect((await s.getSession(OWNER, 's1'))?.messages[0]?.createdAt).toEqual(when)
  })
  it("keeps each owner's sessions to that owner", async () => {
    const s = await store()
    await newSession(s, 's1')
    expect(await s.getSession('bob', 's1')).toBeUndefined()
    expect(await s.getSessionHeader('bob', 's1')).toBeUndefined()
    expect(await s.renameSession('bob', 's1', 'x')).toBeUndefined()
    expect(await s.recentSessions({ owner: 'bob', limit: 10 })).toEqual([])
    expect((await s.listSessions({ owner: 'bob', agentId: 'echo', limit: 10 })).sessions).toEqual(
      [],
    )
    await finish(s, 's1')
    expect(
      await s.startTurn({
        owner: 'bob',
        sessionId: 's1',
        now: T0,
        message: { id: 'x', text: 'x' },
        run: claim(),
      }),
    ).toBe('not_found')
    expect(await s.deleteSession('bob', 's1')).toBe('not_found')
    expect((await s.getSession(OWNER, 's1'))?.messages).toHaveLength(2)
  })

  /** A request's key, as the service hands it to a write (times around T0). */
  const keyed = (key: string, extra: Partial<KeyCommit> = {}): KeyCommit => ({
    owner: OWNER,
    key,
    fingerprint: `request ${key}`,
    now: T0,
    expiredBefore: later(-86_400_000),
    status: 200,
    headers: {},
    ...extra,
  })
  const lookup = (target: SessionStore, key: string, fingerprint = `request ${key}`, at = T0) =>
    target.idempotency.lookup({
      owner: OWNER,
      key,
      fingerprint,
      expiredBefore: new Date(at.getTime() - 86_400_000),
    })

  it('deletes a session with its messages, files and stored answers, unless it is running', async () => {
    const s = await store()
    await s.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'x',
      now: T0,
      message: { id: 'm1', text: 'x', files: [file('f1', bytes(1, 2, 3))] },
      run: claim(),
      key: keyed('k1', { sessionId: 's1' }),
    })
    await s.idempotency.complete(OWNER, 'k1', { status: 200, headers: {}, body: bytes(7) })
    expect((await lookup(s, 'k1')).kind).toBe('replay')
    expect(await s.deleteSession(OWNER, 's1')).toBe('busy')
    expect(await s.deleteSession(OWNER, 's1', { force: true })).toBe('deleted')
    expect(await s.getSession(OWNER, 's1')).toBeUndefined()
    expect(await s.getFile(OWNER, 's1', 'f1')).toBeUndefined()
    expect(await s.readFileBytes('s1', 'f1')).toBeUndefined()
    expect(await s.deleteSession(OWNER, 's1')).toBe('not_found')
    // Its answer went with it: the key is free again.
    expect(await lookup(s, 'k1')).toEqual({ kind: 'free' })
  })

  it('takes an idempotency key with the write, or the write does not happen', async () => {
    const [a, b] = await twoInstances()
    const key = keyed('k', { sessionId: 's1', after: { runId: 'r1', action: 'wait' } })
    await a.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'x',
      now: T0,
      message: { id: 'm1', text: 'x', files: [] },
      run: claim(),
      key,
    })
    // Done, not answered yet: a retry answers the outcome.
    expect(await lookup(b, 'k', 'request k', later(1_000))).toEqual({
      kind: 'resume',
      outcome: {
        status: 200,
        headers: {},
        sessionId: 's1',
        after: { runId: 'r1', action: 'wait' },
      },
    })
    expect(await lookup(b, 'k', 'another request')).toEqual({ kind: 'mismatch' })
    // The same request's work again, elsewhere: refused whole, the key says why.
    const again = b.createSession({
      owner: OWNER,
      id: 's2',
      agentId: 'echo',
      name: 'x',
      now: T0,
      message: { id: 'm2', text: 'x', files: [] },
      run: claim(),
      key: { ...key, sessionId: 's2' },
    })
    await expect(again).rejects.toBeInstanceOf(IdempotencyKeyTaken)
    await expect(again).rejects.toMatchObject({ found: { kind: 'resume' } })
    expect(await b.getSession(OWNER, 's2')).toBeUndefined()
    await expect(
      b.updateSession(
        OWNER,
        's1',
        { name: 'renamed', maxMetadataPairs: 50 },
        keyed('k', { fingerprint: 'other' }),
      ),
    ).rejects.toMatchObject({ found: { kind: 'mismatch' } })
    expect((await a.getSession(OWNER, 's1'))?.name).toBe('x')
    // The answer, once stored, is what a retry gets; storing another changes nothing.
    const answer = { status: 200, headers: { 'content-type': 'application/json' }, body: bytes(1) }
    await a.idempotency.complete(OWNER, 'k', answer)
    await b.idempotency.complete(OWNER, 'k', { ...answer, body: bytes(2) })
    expect(await lookup(b, 'k')).toEqual({ kind: 'replay', answer })
    // A day later the key is free, and taken anew by the next write with it.
    expect(await lookup(b, 'k', 'other', later(86_400_001))).toEqual({ kind: 'free' })
    const renamed = await b.updateSession(
      OWNER,
      's1',
      { name: 'renamed', maxMetadataPairs: 50 },
      keyed('k', { fingerprint: 'other', now: later(86_400_001), expiredBefore: later(1) }),
    )
    expect(renamed).toMatchObject({ name: 'renamed' })
    expect((await lookup(a, 'k', 'other', later(86_400_001))).kind).toBe('resume')
  })

  it('takes a key once among writes racing on two instances, and not with a turn that fails', async () => {
    const [a, b] = await twoInstances()
    // The same create sent six times at once, to two instances: one session.
    const create = (target: SessionStore, i: number) =>
      target.createSession({
        owner: OWNER,
        id: `race-${i}`,
        agentId: 'echo',
        name: 'x',
        now: T0,
        message: { id: `race-m${i}`, text: 'once', files: [] },
        run: claim(),
        key: keyed('race', { sessionId: `race-${i}` }),
      })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => create(i % 2 ? a : b, i)),
    )
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1)
    for (const outcome of outcomes)
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(IdempotencyKeyTaken)
    const sessions = await a.listSessions({ owner: OWNER, agentId: 'echo', limit: 10 })
    expect(sessions.sessions).toHaveLength(1)
    const created = sessions.sessions[0]?.id as string
    expect(await lookup(b, 'race')).toMatchObject({ outcome: { sessionId: created } })

    await newSession(a, 's1')
    await finish(a, 's1')
    expect(
      await b.startTurn({
        owner: OWNER,
        sessionId: 's1',
        now: later(2_000),
        message: { id: 'turn', text: 'once' },
        run: claim(),
        key: keyed('turn', { sessionId: 's1' }),
      }),
    ).toMatchObject({ status: 'Running' })
    // A turn refused (the session is busy) takes no key.
    expect(
      await a.startTurn({
        owner: OWNER,
        sessionId: 's1',
        now: later(3_000),
        message: { id: 'busy', text: 'busy' },
        run: claim(),
        key: keyed('busy', { sessionId: 's1' }),
      }),
    ).toBe('busy')
    expect(await lookup(a, 'busy')).toEqual({ kind: 'free' })
    // A delete takes its key with it; its outcome shows no session.
    expect(
      await b.deleteSession(OWNER, 's1', { force: true, key: keyed('gone', { status: 204 }) }),
    ).toBe('deleted')
    expect(await lookup(a, 'gone')).toEqual({
      kind: 'resume',
      outcome: { status: 204, headers: {} },
    })
    // Its session gone, the turn's key is free again.
    expect(await lookup(a, 'turn')).toEqual({ kind: 'free' })
  })

  /** The messages of the session's active branch, as `role:text`. */
  const branchOf = async (target: SessionStore, id: string) =>
    (await target.getSession(OWNER, id))?.messages.map((m) => `${m.role}:${m.text}`)

  /** Ends the session's run with the reply `text` (id `text`). */
  const reply = async (target: SessionStore, id: string, text: string) => {
    const header = await target.getSessionHeader(OWNER, id)
    return target.finishRun({
      sessionId: id,
      runId: header?.run?.runId ?? '',
      now: later(1_000),
      reply: { id: text, text },
      status: 'Ready',
      error: null,
      lastEventId: header?.lastEventId ?? 0,
    })
  }

  it('pages the active branch only once the first message is edited (a second root)', async () => {
    const s = await store()
    await newSession(s, 's2')
    await reply(s, 's2', 'q1')
    const edited = await s.startTurn({
      owner: OWNER,
      sessionId: 's2',
      now: later(3_000),
      parentId: null,
      message: { id: 'e2', text: 'edited' },
      run: claim(),
    })
    expect(typeof edited === 'object' && edited.messages.map((m) => m.id)).toEqual(['e2'])
    for (const order of ['asc', 'desc'] as const) {
      const page = await s.listMessages({ owner: OWNER, sessionId: 's2', order, limit: 10 })
      expect(page?.messages.map((m) => m.id)).toEqual(['e2'])
    }
  })

  it('keeps messages as a tree: regenerate, edit, switch, and pages of the active branch', async () => {
    const s = await store()
    await newSession(s, 's1')
    await reply(s, 's1', 'r1')
    // A regenerated reply: a run on the history up to the user message.
    const regenerating = await s.startRun({
      owner: OWNER,
      sessionId: 's1',
      now: later(2_000),
      leafId: 's1-m1',
      run: claim(),
    })
    expect(typeof regenerating === 'object' && regenerating.messages.map((m) => m.id)).toEqual([
      's1-m1',
    ])
    expect(await s.switchBranch(OWNER, 's1', 'r1')).toBe('busy')
    await reply(s, 's1', 'r2')
    expect(await branchOf(s, 's1')).toEqual(['user:hello from s1', 'assistant:r2'])
    // An edit of the first message: a second root, and its reply.
    const edited = await s.startTurn({
      owner: OWNER,
      sessionId: 's1',
      now: later(3_000),
      parentId: null,
      message: { id: 'e1', text: 'edited' },
      run: claim(),
    })
    expect(typeof edited === 'object' && edited.activeLeafId).toBe('e1')
    await reply(s, 's1', 'r3')
    expect(await branchOf(s, 's1')).toEqual(['user:edited', 'assistant:r3'])
    const tree = await s.listTree({ owner: OWNER, sessionId: 's1', limit: 10 })
    expect(
      typeof tree === 'object' && tree.messages.map((m) => [m.id, m.parentId, m.role]),
    ).toEqual([
      ['s1-m1', null, 'user'],
      ['r1', 's1-m1', 'assistant'],
      ['r2', 's1-m1', 'assistant'],
      ['e1', null, 'user'],
      ['r3', 'e1', 'assistant'],
    ])
    expect(typeof tree === 'object' && tree.activeLeafId).toBe('r3')
    const siblings = await s.listTree({
      owner: OWNER,
      sessionId: 's1',
      limit: 1,
      siblingsOf: 'r2',
    })
    expect(typeof siblings === 'object' && siblings.messages.map((m) => m.id)).toEqual(['r1'])
    expect(typeof siblings === 'object' && siblings.next).toEqual({ order: 'asc', position: 1 })
    const roots = await s.listTree({ owner: OWNER, sessionId: 's1', limit: 9, siblingsOf: 'e1' })
    expect(typeof roots === 'object' && roots.messages.map((m) => m.id)).toEqual(['s1-m1', 'e1'])
    expect(await s.listTree({ owner: OWNER, sessionId: 's1', limit: 9, siblingsOf: 'x' })).toBe(
      'message_not_found',
    )
    expect(await s.listTree({ owner: 'bob', sessionId: 's1', limit: 9 })).toBeUndefined()
    // A switch to the first root lands on its latest reply.
    const before = (await s.getSessionHeader(OWNER, 's1'))?.lastEventId ?? 0
    const switched = await s.switchBranch(OWNER, 's1', 's1-m1')
    if (typeof switched !== 'object') throw new Error(`not switched: ${switched}`)
    expect(switched.session.messages.map((m) => m.id)).toEqual(['s1-m1', 'r2'])
    // Two event ids taken: the branch event's, then the status's.
    expect(switched.branchEventId).toBe(before + 1)
    expect(switched.session.lastEventId).toBe(before + 2)
    const again = await s.switchBranch(OWNER, 's1', 'r2')
    if (typeof again !== 'object') throw new Error(`not switched: ${again}`)
    expect(again.branchEventId, 'no move, nothing told').toBeUndefined()
    expect(again.session.lastEventId).toBe(before + 2)
    expect(await branchOf(s, 's1')).toEqual(['user:hello from s1', 'assistant:r2'])
    const page = await s.listMessages({ owner: OWNER, sessionId: 's1', order: 'desc', limit: 1 })
    expect(page?.messages.map((m) => m.id)).toEqual(['r2'])
    const rest = await s.listMessages({
      owner: OWNER,
      sessionId: 's1',
      order: 'desc',
      limit: 5,
      ...(page?.next && { after: page.next }),
    })
    expect(rest?.messages.map((m) => m.id)).toEqual(['s1-m1'])
    // The next turn continues the branch shown.
    await s.startTurn({
      owner: OWNER,
      sessionId: 's1',
      now: later(4_000),
      message: { id: 'm2', text: 'more' },
      run: claim(),
    })
    expect(await branchOf(s, 's1')).toEqual(['user:hello from s1', 'assistant:r2', 'user:more'])
    expect(await s.getMessageNode(OWNER, 's1', 'm2')).toEqual({
      id: 'm2',
      parentId: 'r2',
      role: 'user',
    })
    expect(await s.getMessageNode('bob', 's1', 'm2')).toBeUndefined()
    expect(await s.switchBranch(OWNER, 's1', 'nope')).toBe('message_not_found')
    expect(await s.switchBranch('bob', 's1', 'r1')).toBe('not_found')
  })

  it('lets exactly one of racing regenerates and edits start, across connections', async () => {
    const [a, b] = await twoInstances()
    await newSession(a, 's1')
    await reply(a, 's1', 'r1')
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? (i % 4 === 1 ? a : b).startRun({
              owner: OWNER,
              sessionId: 's1',
              now: later(5_000),
              leafId: 's1-m1',
              run: claim(),
            })
          : (i % 4 === 0 ? a : b).startTurn({
              owner: OWNER,
              sessionId: 's1',
              now: later(5_000),
              parentId: null,
              message: { id: `edit-${i}`, text: `edit ${i}` },
              run: claim(),
            }),
      ),
    )
    expect(results.filter((result) => typeof result === 'object')).toHaveLength(1)
    expect(results.filter((result) => result === 'busy')).toHaveLength(5)
  })

  it('forks a branch into a new session whose files share the bytes, kept when either goes', async () => {
    const s = await store()
    const data = bytes(9, 8, 7)
    await s.createSession({
      owner: OWNER,
      id: 's1',
      agentId: 'echo',
      name: 'Source',
      now: T0,
      message: { id: 'm1', text: 'with a file', files: [file('f1', data)] },
      run: claim(),
    })
    await reply(s, 's1', 'r1')
    await s.startTurn({
      owner: OWNER,
      sessionId: 's1',
      now: later(2_000),
      message: { id: 'm2', text: 'later' },
      run: claim(),
    })
    let n = 0
    const fork = (sourceId: string, id: string, through: string) =>
      s.forkSession({
        owner: OWNER,
        sourceId,
        throughMessageId: through,
        id,
        now: later(3_000),
        newId: () => `${id}-${++n}`,
      })
    // A running source may be forked: what is stored is copied.
    const forked = await fork('s1', 'f-a', 'r1')
    if (typeof forked !== 'object') throw new Error(String(forked))
    expect(forked).toMatchObject({ owner: OWNER, agentId: 'echo', name: 'Source', status: 'Ready' })
    expect(forked.messages.map((m) => [m.role, m.text, m.parentId])).toEqual([
      ['user', 'with a file', null],
      ['assistant', 'r1', forked.messages[0]?.id],
    ])
    expect(forked.activeLeafId).toBe(forked.messages[1]?.id)
    const copy = forked.messages[0]?.files[0]
    expect(copy).toMatchObject({ name: 'f1.bin', size: 3 })
    expect(copy?.id).not.toBe('f1')
    // A fork of the fork still names the original bytes.
    const again = await fork('f-a', 'f-b', forked.messages[0]?.id ?? '')
    const copyOfCopy = typeof again === 'object' ? again.messages[0]?.files[0] : undefined
    expect(await fork('s1', 'f-c', 'nope')).toBe('message_not_found')
    expect(await fork('nope', 'f-c', 'm1')).toBe('not_found')
    await reply(s, 's1', 'r2')
    expect(await s.deleteSession(OWNER, 's1')).toBe('deleted')
    const kept = await s.getFile(OWNER, 'f-a', copy?.id ?? '')
    expect([...(kept?.data ?? [])]).toEqual([...data])
    expect([...((await s.readFileBytes('f-b', copyOfCopy?.id ?? '', 2)) ?? [])]).toEqual([9, 8])
    expect(await s.deleteSession(OWNER, 'f-a')).toBe('deleted')
    expect([...((await s.readFileBytes('f-b', copyOfCopy?.id ?? '')) ?? [])]).toEqual([...data])
    // The fork's turns go on from its own branch.
    expect(await branchOf(s, 'f-b')).toEqual(['user:with a file'])
  })
})
