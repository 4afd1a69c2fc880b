/**
 * Answers kept on PostgreSQL: each instance keeps its own, tagged with the owner's version in
 * the database, and serves one only while that version has not moved. A write that one
 * instance acknowledged is seen by the next read on any other, kept answers or not.
 */
import type { Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createSessionsApp } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import { systemClock } from '../src/domain/clock.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { createJsonLogger } from '../src/logger.ts'
import { openStorage } from '../src/storage/open-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'
import { sessionForm } from './test-app.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres?.stop(), 60_000)

const OWNER = 'anonymous'

/** Reads of the store, counted: a kept answer makes none. */
interface Instance {
  request(path: string, init?: RequestInit): Promise<Response>
  store: SessionStore
  reads(): number
  close(): Promise<void>
}

/** A server instance in this process on the database at `url`, as `bootServer` wires one. */
async function instance(url: string, config: Partial<ServerConfig> = {}): Promise<Instance> {
  const logger = createJsonLogger('silent')
  const full: ServerConfig = {
    ...defaultConfig,
    logLevel: 'silent',
    rateLimitPerSecond: 0,
    databaseUrl: url,
    databasePoolSize: 4,
    ...config,
  }
  const storage = openStorage(full, logger, systemClock)
  if (storage.kind !== 'postgres') throw new Error('expected the PostgreSQL store')
  await storage.store.migrate()
  await storage.events.start()
  let reads = 0
  const counted = <A extends unknown[], R>(read: (...args: A) => Promise<R>) => {
    return (...args: A) => {
      reads++
      return read(...args)
    }
  }
  const { getSessionJson, listSessionsJson, recentSessionsJson, recentSessionsJsonPages } =
    storage.store
  if (!getSessionJson || !listSessionsJson || !recentSessionsJson || !recentSessionsJsonPages)
    throw new Error('expected the JSON reads of the PostgreSQL store')
  // The reads the routes make (the JSON reads) and the records' reads, all counted.
  const store: SessionStore = {
    ...storage.store,
    getSession: counted(storage.store.getSession),
    listSessions: counted(storage.store.listSessions),
    recentSessions: counted(storage.store.recentSessions),
    getSessionJson: counted(getSessionJson),
    listSessionsJson: counted(listSessionsJson),
    recentSessionsJson: counted(recentSessionsJson),
    recentSessionsJsonPages: counted(recentSessionsJsonPages),
  }
  const { app, shutdown } = createSessionsApp({
    store,
    agents: createAgentRegistry([createEchoAgent({ delayMs: 0 })]),
    config: full,
    logger,
    events: storage.events,
    control: storage.events.control,
  })
  return {
    request: async (path, init) => app.request(path, init),
    store: storage.store,
    reads: () => reads,
    async close() {
      await shutdown(0)
      await store.close()
    },
  }
}

const json = { 'Content-Type': 'application/json' }

async function ok(response: Promise<Response>): Promise<Response> {
  const answer = await response
  if (answer.status >= 300)
    throw new Error(`${answer.status}: ${await answer.text()}`, { cause: answer })
  return answer
}

const create = async (on: Instance, text: string) =>
  (await (
    await ok(
      on.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: text }),
      }),
    )
  ).json()) as Session

describe('answers kept on PostgreSQL', () => {
  it('are never older than a write another instance acknowledged', async () => {
    const url = await postgres.newDatabase()
    const a = await instance(url)
    const b = await instance(url)
    // Never keeps anything: what the store holds now.
    const fresh = await instance(url, { readCacheBytes: 0 })
    try {
      const session = await create(a, 'First')
      const path = `/sessions/${session.id}`
      const reads = [
        path,
        '/sessions?agent_id=echo',
        '/sessions/grouped?limit=100',
        '/sessions/grouped?limit=100&pinned_group=true',
      ]
      let other: string | undefined
      /** The writes on A, each acknowledged before B reads; what B must then show. */
      const writes: Array<(round: number) => Promise<(session: Session) => boolean>> = [
        async (round) => {
          await ok(
            a.request(path, {
              method: 'PATCH',
              headers: json,
              body: JSON.stringify({ name: `Name ${round}` }),
            }),
          )
          return (s) => s.name === `Name ${round}`
        },
        async (round) => {
          await ok(
            a.request(path, {
              method: 'PATCH',
              headers: json,
              body: JSON.stringify({ pinned: round % 2 === 0, tags: [`t${round}`] }),
            }),
          )
          return (s) => s.tags?.[0] === `t${round}`
        },
        async (round) => {
          await ok(
            a.request(path, {
              method: 'PUT',
              headers: json,
              body: JSON.stringify({ text_prompt: `Turn ${round}` }),
            }),
          )
          return (s) => s.messages.at(-2)?.text === `Turn ${round}` && s.status === 'Ready'
        },
        async (round) => {
          const reply = (await (await b.request(path)).json()) as Session
          const last = reply.messages.at(-1)
          if (!last) throw new Error('no reply to rate')
          const rating = round % 2 === 0 ? 'up' : 'down'
          await ok(
            a.request(`${path}/messages/${last.id}/feedback`, {
              method: 'PUT',
              headers: json,
              body: JSON.stringify({ rating }),
            }),
          )
          return (s) => s.messages.at(-1)?.feedback?.rating === rating
        },
        async (round) => {
          if (other === undefined) other = (await create(a, `Other ${round}`)).id
          else {
            await ok(a.request(`/sessions/${other}`, { method: 'DELETE' }))
            other = undefined
          }
          return () => true
        },
      ]

      for (let round = 0; round < 25; round++) {
        // B keeps each answer: the second read of each is kept, and reads nothing.
        const first = b.reads()
        for (const read of reads) await (await b.request(read)).text()
        const before = b.reads()
        if (round === 0) expect(before).toBeGreaterThan(first)
        for (const read of reads) await (await b.request(read)).text()
        expect(b.reads()).toBe(before)

        const shown = await (writes[round % writes.length] as (typeof writes)[number])(round)

        for (const read of reads) {
          const answer = await (await b.request(read)).text()
          expect(answer, `${read} on B after write ${round}`).toBe(
            await (await fresh.request(read)).text(),
          )
        }
        const got = (await (await b.request(path)).json()) as Session
        expect(shown(got), `write ${round} shown on B`).toBe(true)
        const listed = (await (await b.request('/sessions?agent_id=echo')).json()) as {
          sessions: Session[]
        }
        expect(listed.sessions.find((s) => s.id === session.id)).toEqual(got)
      }
      // A's kept answers are checked the same way.
      for (const read of reads)
        expect(await (await a.request(read)).text()).toBe(await (await fresh.request(read)).text())
    } finally {
      await Promise.all([a.close(), b.close(), fresh.close()])
    }
  }, 120_000)

  it("move the owner's version with every write an answer shows, and only those", async () => {
    const url = await postgres.newDatabase()
    const a = await instance(url)
    try {
      const versions = a.store.changes
      if (!versions) throw new Error('the PostgreSQL store keeps versions')
      const version = async (owner = OWNER) => Number(await versions.of(owner))
      expect(await version()).toBe(0)
      const session = await create(a, 'First')
      const path = `/sessions/${session.id}`
      const moves = async (what: string, write: () => Promise<unknown>) => {
        const before = await version()
        const other = await version('someone-else')
        await write()
        expect(await version(), what).toBeGreaterThan(before)
        expect(await version('someone-else'), what).toBe(other)
      }
      await moves('a create', () => create(a, 'Second'))
      await moves('a turn and its run', () =>
        ok(
          a.request(path, {
            method: 'PUT',
            headers: json,
            body: JSON.stringify({ text_prompt: 'Again' }),
          }),
        ),
      )
      await moves('a rename', () =>
        ok(a.request(path, { method: 'PATCH', headers: json, body: '{"name":"N"}' })),
      )
      const current = (await (await a.request(path)).json()) as Session
      const reply = current.messages.at(-1)?.id ?? ''
      await moves('a rating', () =>
        ok(
          a.request(`${path}/messages/${reply}/feedback`, {
            method: 'PUT',
            headers: json,
            body: '{"rating":"up"}',
          }),
        ),
      )
      await moves('a rating removed', () =>
        ok(a.request(`${path}/messages/${reply}/feedback`, { method: 'DELETE' })),
      )
      await moves('a regenerated reply', () =>
        ok(a.request(`${path}/messages/${reply}/regenerate`, { method: 'POST' })),
      )
      await moves('a branch switch', () =>
        ok(a.request(`${path}/messages/${reply}/switch`, { method: 'POST' })),
      )
      await moves('a delete', () => ok(a.request(path, { method: 'DELETE' })))

      // What no answer shows: a run's lease renewed, event ids reserved.
      const other = await create(a, 'Third')
      const before = await version()
      await a.store.reserveEventIds(other.id, 3)
      await a.store.renewLeases('nobody', new Date())
      expect(await version()).toBe(before)
    } finally {
      await a.close()
    }
  }, 60_000)
})
