/**
 * PostgreSQL's own read path (`storage/postgres/pg-reads.ts`: one prepared statement a read)
 * reads the very records the Kysely queries of both stores read, on the same rows: sessions
 * with files, replies with usage, ratings with and without comments, branches, organising,
 * runs under way and failed ones, queued turns, and every filter, cursor and page size the
 * reads take; and its JSON reads (`pg-json-reads.ts`) write the very bytes the presenters give
 * of those records.
 */
import { Kysely, PostgresDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import type { SessionFilter, SessionStore } from '../src/domain/session-store.ts'
import { agentJsonOf, toSession, toSummary } from '../src/http/presenters.ts'
import { createKyselyStore } from '../src/storage/kysely/kysely-store.ts'
import type { Database } from '../src/storage/kysely/schema.ts'
import { createPgPool } from '../src/storage/postgres/pg-pool.ts'
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres?.stop(), 60_000)

const OWNER = 'alice'
/** Text of every kind JSON escapes or keeps (PostgreSQL's text holds no NUL). */
const STRANGE =
  'Quote " backslash \\ new\nline \t tab \u0001 soh \u001f unit \u007f é 日本 🚀 \u2028'
const T0 = new Date('2031-05-01T10:00:00.000Z').getTime()
const at = (minutes: number) => new Date(T0 + minutes * 60_000)
const claim = (minutes: number) => ({
  runId: crypto.randomUUID(),
  instance: 'instance-a',
  leaseExpiresAt: at(minutes + 1),
})

/** Sessions of every kind the reads show, by `store`'s writes. */
async function seed(store: SessionStore): Promise<void> {
  let minute = 0
  for (let i = 0; i < 12; i++) {
    const id = `s${String(i).padStart(2, '0')}`
    const agentId = i % 3 === 2 ? 'other' : 'echo'
    minute++
    await store.createSession({
      owner: i === 11 ? 'bob' : OWNER,
      id,
      agentId,
      name: i === 10 ? `Strange ${STRANGE}` : `Session ${i} "quoted" ✓`,
      now: at(minute),
      message: {
        id: `${id}-m1`,
        text:
          i === 3
            ? ''
            : i === 10
              ? `  Long   preview ${STRANGE}\n\n`.repeat(20)
              : `Hello\nfrom ${id}, with text long enough ${'x'.repeat(i * 40)}`,
        files:
          i % 2 === 0
            ? [
                {
                  id: `${id}-f1`,
                  name: 'a.txt',
                  contentType: 'text/plain',
                  size: 3,
                  sha256: 'aa',
                  chunks: [new Uint8Array([1, 2, 3])],
                },
                {
                  id: `${id}-f0`,
                  name: 'b.png',
                  contentType: 'image/png',
                  size: 1,
                  sha256: 'bb',
                  chunks: [new Uint8Array([4])],
                },
              ]
            : [],
      },
      run: claim(minute),
    })
    const owner = i === 11 ? 'bob' : OWNER
    // Session 5 stays Running; session 7's run fails; the others answer, some with usage.
    if (i === 5) {
      // Turns queued behind the run: a continue, and a regenerate of no text.
      const turns = [
        { id: `${id}-q1`, kind: 'continue', text: `Next ${STRANGE}`, messageId: null },
        { id: `${id}-q2`, kind: 'regenerate', text: null, messageId: `${id}-m1` },
      ] as const
      for (const [n, turn] of turns.entries())
        expect(
          await store.enqueueTurn({
            owner,
            sessionId: id,
            turn: { ...turn, createdAt: at(minute + n) },
            maxQueued: 10,
          }),
        ).toBe('queued')
      continue
    }
    const header = await store.getSessionHeader(owner, id)
    minute++
    await store.finishRun({
      sessionId: id,
      runId: header?.run?.runId ?? '',
      status: i === 7 ? 'Flushed' : 'Ready',
      now: at(minute),
      lastEventId: 3,
      ...(i === 7
        ? { error: { code: 'agent_error', message: 'it broke' }, reply: null }
        : { error: null, reply: { id: `${id}-r1`, text: `Reply to ${id}` } }),
      ...(i % 4 === 0 && {
        modelCalls: [
          {
            kind: 'reply',
            usage: { inputTokens: 10 + i, outputTokens: 5, cachedTokens: 2, estimated: i === 4 },
          },
        ],
      }),
    })
    if (i === 7) continue
    if (i % 3 === 0)
      await store.rateMessage({
        owner,
        sessionId: id,
        messageId: `${id}-r1`,
        rating: i % 2 === 0 ? 'up' : 'down',
        ...(i === 6 && { comment: 'Good, "really"' }),
        now: at(minute),
      })
    if (i === 4 || i === 8) {
      // A second branch: another reply to the first message, then back to the first reply.
      minute++
      const run = await store.startRun({
        owner,
        sessionId: id,
        leafId: `${id}-m1`,
        now: at(minute),
        run: claim(minute),
      })
      if (typeof run === 'string') throw new Error(run)
      await store.finishRun({
        sessionId: id,
        runId: run.run?.runId ?? '',
        status: 'Ready',
        now: at(minute),
        lastEventId: 6,
        error: null,
        reply: { id: `${id}-r2`, text: `Another reply to ${id}` },
      })
      if (i === 8) await store.switchBranch(owner, id, `${id}-r1`)
    }
    if (i % 5 === 1)
      await store.updateSession(owner, id, {
        pinned: true,
        tags: ['work', `t${i}`, 'ü "x"'],
        metadata: { team: 'blue', n: String(i), k: `v ${STRANGE}` },
        maxMetadataPairs: 16,
      })
    if (i === 9)
      await store.updateSession(owner, id, {
        archived: true,
        tags: ['work'],
        maxMetadataPairs: 16,
      })
  }
}

const filters: Array<SessionFilter | undefined> = [
  undefined,
  { archived: true, tags: [], metadata: [] },
  { archived: false, pinned: true, tags: [], metadata: [] },
  { archived: false, pinned: false, tags: [], metadata: [] },
  { archived: false, tags: ['work'], metadata: [] },
  { archived: false, tags: ['work', 't1'], metadata: [['team', 'blue']] },
  { archived: false, tags: [], metadata: [['team', 'red']] },
  { archived: false, tags: ['t1', 't2', 't3', 't4', 't5'], metadata: [] },
]

/** The sessions of `seed` and one that is not there. */
const IDS = [...Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`), 'x']

/** A new database, seeded, with the store over it and the Kysely queries it is held to. */
async function seeded() {
  const url = await postgres.newDatabase()
  const { store } = openPostgresStore({ connectionString: url, max: 4 })
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: createPgPool({ connectionString: url, max: 2 }) }),
  })
  const kysely = createKyselyStore(db, { dialect: 'postgres', close: () => db.destroy() })
  const close = async () => {
    await store.close()
    await kysely.close()
  }
  try {
    await store.migrate()
    await seed(store)
  } catch (error) {
    await close()
    throw error
  }
  return { store, kysely, close }
}

describe("PostgreSQL's read path", () => {
  it('reads the records the Kysely queries read', async () => {
    const { store, kysely, close } = await seeded()
    try {
      for (const owner of [OWNER, 'bob'])
        for (const id of IDS)
          expect(await store.getSession(owner, id), `${owner} ${id}`).toEqual(
            await kysely.getSession(owner, id),
          )
      // What the rows hold, so that the comparison compares something.
      const get = async (id: string) => {
        const found = await store.getSession(OWNER, id)
        if (!found) throw new Error(`no ${id}`)
        return found
      }
      // The branch switched back to: the first reply, not the second.
      expect((await get('s08')).messages.map((m) => m.id)).toEqual(['s08-m1', 's08-r1'])
      expect((await get('s04')).messages.map((m) => m.id)).toEqual(['s04-m1', 's04-r2'])
      expect((await get('s00')).messages[0]?.files.map((f) => f.id)).toEqual(['s00-f1', 's00-f0'])
      expect((await get('s00')).messages[1]?.usage).toEqual({
        inputTokens: 10,
        outputTokens: 5,
        cachedTokens: 2,
        estimated: false,
      })
      expect((await get('s06')).messages[1]?.feedback).toMatchObject({ comment: 'Good, "really"' })
      expect((await get('s05')).run).not.toBeNull()
      expect((await get('s07')).error).toEqual({ code: 'agent_error', message: 'it broke' })
      expect((await get('s01')).metadata).toEqual({ team: 'blue', n: '1', k: `v ${STRANGE}` })

      for (const filter of filters)
        for (const agentId of ['echo', 'other', 'none'])
          for (const withMessages of [undefined, true, false])
            for (const limit of [1, 2, 50]) {
              const query = { owner: OWNER, agentId, limit, filter, withMessages }
              let page = await store.listSessions(query)
              expect(page, JSON.stringify(query)).toEqual(await kysely.listSessions(query))
              // Every page after it, by its cursor.
              while (page.next) {
                const after = page.next
                page = await store.listSessions({ ...query, after })
                expect(page, `${JSON.stringify(query)} after ${after.id}`).toEqual(
                  await kysely.listSessions({ ...query, after }),
                )
              }
            }

      for (const filter of filters)
        for (const agentId of [undefined, 'echo', 'other'])
          for (const limit of [1, 5, 100])
            for (const owner of [OWNER, 'bob']) {
              const query = { owner, agentId, limit, filter }
              expect(await store.recentSessions(query), JSON.stringify(query)).toEqual(
                await kysely.recentSessions(query),
              )
            }
    } finally {
      await close()
    }
  }, 120_000)

  it('writes the JSON the presenters write of the Kysely records', async () => {
    const { store, kysely, close } = await seeded()
    // 'other' is not configured: its summaries carry the profile of an unknown agent.
    const agents = createAgentRegistry([createEchoAgent({ delayMs: 0 })])
    const agentJson = agentJsonOf(agents)
    try {
      for (const owner of [OWNER, 'bob'])
        for (const id of IDS) {
          const record = await kysely.getSession(owner, id)
          expect(await store.getSessionJson?.(owner, id), `${owner} ${id}`).toBe(
            record && JSON.stringify(toSession(record)),
          )
        }
      // What the rows hold, so that the comparison compares something.
      const get = async (id: string) => (await store.getSessionJson?.(OWNER, id)) ?? ''
      for (const field of ['"files":[{', '"usage":', '"feedback":', '"url":'])
        expect(await get('s00'), field).toContain(field)
      expect(await get('s06')).toContain('"comment":"Good, \\"really\\""')
      expect(await get('s05')).toContain('"queued_turns":[{"id":"s05-q1","kind":"continue"')
      expect(await get('s07')).toContain('"error":{"code":"agent_error"')
      expect(await get('s10')).toContain('\\u0001 soh \\u001f')

      for (const filter of filters)
        for (const agentId of ['echo', 'other', 'none'])
          for (const limit of [1, 2, 50]) {
            let after: Awaited<ReturnType<typeof kysely.listSessions>>['next']
            do {
              const query = { owner: OWNER, agentId, limit, filter, after }
              const records = await kysely.listSessions(query)
              const text = await store.listSessionsJson?.(query)
              const label = `${JSON.stringify(query)}`
              expect(text?.json, label).toBe(JSON.stringify(records.sessions.map(toSession)))
              expect(text?.next, label).toEqual(records.next)
              after = records.next
            } while (after)
          }

      let previews = 0
      for (const filter of filters)
        for (const agentId of [undefined, 'echo', 'other'])
          for (const limit of [1, 5, 100])
            for (const owner of [OWNER, 'bob']) {
              const query = { owner, agentId, limit, filter }
              const records = await kysely.recentSessions(query)
              const texts = (await store.recentSessionsJson?.({ ...query, agentJson })) ?? []
              expect(
                texts.map((t) => t.json),
                JSON.stringify(query),
              ).toEqual(records.map((r) => JSON.stringify(toSummary(r, agents))))
              expect(texts.map((t) => t.updatedAt)).toEqual(records.map((r) => r.updatedAt))
              previews += texts.filter((t) => t.json.includes('"last_message_preview"')).length
            }
      expect(previews).toBeGreaterThan(0)

      // Several filters' pages in one statement (a grouped page and its pinned group), also
      // with a filter of too many labels to prepare: each page is its filter's records.
      const pinned = { archived: false, pinned: true, tags: [], metadata: [] }
      const others = { ...pinned, pinned: false }
      const manyLabels: SessionFilter = {
        archived: false,
        tags: ['work', 't1', 'ü "x"'],
        metadata: [
          ['team', 'blue'],
          ['n', '1'],
        ],
      }
      for (const pageFilters of [[pinned, others], [others, manyLabels], [others], []])
        for (const agentId of [undefined, 'echo']) {
          const query = { owner: OWNER, agentId, limit: 5 }
          const label = JSON.stringify({ query, pageFilters })
          const pages = await store.recentSessionsJsonPages?.({
            ...query,
            filters: pageFilters,
            agentJson,
          })
          const records = await Promise.all(
            pageFilters.map((filter) => kysely.recentSessions({ ...query, filter })),
          )
          expect(
            pages?.map((page) => page.map((t) => t.json)),
            label,
          ).toEqual(records.map((page) => page.map((r) => JSON.stringify(toSummary(r, agents)))))
          for (const page of pages ?? []) expect(page.length, label).toBeGreaterThan(0)
        }
    } finally {
      await close()
    }
  }, 120_000)
})
