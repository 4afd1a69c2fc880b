/**
 * The webhooks outbox of the store, on SQLite and PostgreSQL: events written with the writes
 * they tell of (and not without them), claims that go to one instance at a time (on
 * PostgreSQL, two stores claiming at once share nothing), a claim that ran out taken over with
 * its attempt marked abandoned, and an outcome recorded only by the latest attempt; finished
 * deliveries pruned with their attempts a batch at a time (two PostgreSQL stores at once), never
 * a pending one.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import type { AttemptOutcome } from '../src/domain/webhook-outbox.ts'
import type { WebhookTargets } from '../src/domain/webhooks.ts'
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

/** alice's events go to `hooks`; bob has no endpoint. */
const targets: WebhookTargets = {
  endpointsFor: (owner) => (owner === 'alice' ? ['hooks'] : []),
}

let postgres: TestPostgres | undefined
const dirs: string[] = []

const dialects = [
  {
    name: 'SQLite',
    async newDatabase() {
      const dir = await mkdtemp(join(tmpdir(), 'uxmate-outbox-'))
      dirs.push(dir)
      const path = join(dir, 'uxmate.sqlite')
      const store = openSqliteStore(path, {}, { webhookTargets: targets })
      // One process owns a SQLite file: "two instances" are the one store.
      return {
        open: () => store,
        shared: false,
        async attempted() {
          const db = new Database(path, { readonly: true })
          try {
            const rows = db.prepare('SELECT DISTINCT delivery_id FROM webhook_attempts').all()
            return (rows as Array<{ delivery_id: string }>).map((row) => row.delivery_id).sort()
          } finally {
            db.close()
          }
        },
      }
    },
  },
  {
    name: 'PostgreSQL',
    async newDatabase() {
      postgres ??= await startTestPostgres()
      const url = await postgres.newDatabase()
      return {
        open: () =>
          openPostgresStore({ connectionString: url, max: 4, webhookTargets: targets }).store,
        shared: true,
        async attempted() {
          const client = new pg.Client({ connectionString: url })
          await client.connect()
          try {
            const { rows } = await client.query<{ delivery_id: string }>(
              'SELECT DISTINCT delivery_id FROM webhook_attempts',
            )
            return rows.map((row) => row.delivery_id).sort()
          } finally {
            await client.end()
          }
        },
      }
    },
  },
]

afterAll(async () => {
  await postgres?.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
}, 60_000)

const T0 = new Date('2031-05-01T10:00:00.000Z')
const later = (ms: number) => new Date(T0.getTime() + ms)

async function newSession(store: SessionStore, owner: string, id: string) {
  const session = await store.createSession({
    id,
    owner,
    agentId: 'echo',
    name: `Session ${id}`,
    now: T0,
    message: { id: `${id}-m`, text: 'hi', files: [] },
    run: { runId: `${id}-run`, instance: 'a', leaseExpiresAt: later(15_000) },
  })
  if (session === 'id_taken') throw new Error('taken')
  return session
}

/** Two stores on a new database (on SQLite, the one store twice), migrated; closed after. */
function storesOn(dialect: (typeof dialects)[number]) {
  const opened = {
    stores: [] as SessionStore[],
    shared: false,
    attempted: async (): Promise<string[]> => [],
  }
  beforeAll(async () => {
    const db = await dialect.newDatabase()
    const first = db.open()
    await first.migrate()
    Object.assign(opened, {
      stores: [first, db.shared ? db.open() : first],
      shared: db.shared,
      attempted: db.attempted,
    })
  }, 120_000)
  afterAll(async () => {
    for (const store of new Set(opened.stores)) await store.close()
  })
  return opened
}

describe.each(dialects)('$name outbox', (dialect) => {
  const opened = storesOn(dialect)

  it('writes each event with its write, for the owners that want it', async () => {
    const [store] = opened.stores as [SessionStore]
    await newSession(store, 'alice', 's1')
    await newSession(store, 'bob', 's2')
    // A session id taken: nothing written, no event.
    await expect(newSession(store, 'alice', 's1')).rejects.toThrow('taken')
    await store.finishRun({
      sessionId: 's1',
      runId: 's1-run',
      now: later(1_000),
      reply: { id: 's1-r', text: 'hello' },
      status: 'Ready',
      error: null,
      lastEventId: 3,
      title: { name: 'Greetings', replaces: 'Session s1' },
    })
    // A run that is not the session's records nothing, and tells of nothing.
    await store.finishRun({
      sessionId: 's1',
      runId: 'other-run',
      now: later(2_000),
      reply: null,
      status: 'Flushed',
      error: { code: 'timeout', message: 'late' },
      lastEventId: 4,
    })
    const { deliveries } = await store.webhooks.listDeliveries({ owner: 'alice', limit: 10 })
    expect(deliveries.map((d) => [d.payload.type, d.sessionId, d.endpointId])).toEqual([
      ['session.renamed', 's1', 'hooks'],
      ['run.completed', 's1', 'hooks'],
      ['session.created', 's1', 'hooks'],
    ])
    expect(deliveries[0]?.payload.data).toMatchObject({
      session: { name: 'Greetings', status: 'Ready' },
      renamed_by: 'agent',
    })
    expect(deliveries[1]?.payload.data.run).toEqual({
      id: 's1-run',
      status: 'Ready',
      error: null,
      reply_message_id: 's1-r',
    })
    expect((await store.webhooks.listDeliveries({ owner: 'bob', limit: 10 })).deliveries).toEqual(
      [],
    )
    await expect(store.deleteSession('alice', 's1')).resolves.toBe('deleted')
    // Told with the session's last state, though it is gone.
    const after = (await store.webhooks.listDeliveries({ owner: 'alice', limit: 10 })).deliveries
    const gone = after.find((d) => d.payload.type === 'session.deleted')
    expect(gone?.payload.data.session).toMatchObject({ id: 's1', name: 'Greetings' })
    expect(after).toHaveLength(4)
  })

  it('tells of runs flushed after their instance died as run.failed (interrupted)', async () => {
    const [store] = opened.stores as [SessionStore]
    await newSession(store, 'alice', 'f1')
    const flushed = await store.flushExpiredRuns(later(20_000), 'The instance running it stopped')
    expect(flushed.map((run) => run.sessionId)).toContain('f1')
    const { deliveries } = await store.webhooks.listDeliveries({ owner: 'alice', limit: 50 })
    const failed = deliveries.find((d) => d.sessionId === 'f1' && d.payload.type === 'run.failed')
    expect(failed?.payload.data.run).toEqual({
      id: 'f1-run',
      status: 'Flushed',
      error: { code: 'interrupted', message: 'The instance running it stopped' },
      reply_message_id: null,
    })
    expect(failed?.payload.data.session.status).toBe('Flushed')
  })

  it('gives each due delivery to one claimer; a claim that runs out is taken over', async () => {
    const [a, b] = opened.stores as [SessionStore, SessionStore]
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) await newSession(a, 'alice', id)
    const now = later(60_000)
    const claimUntil = later(70_000)
    // Both at once: on PostgreSQL two connections, each skipping what the other locked.
    const [mine, theirs] = await Promise.all([
      a.webhooks.claimDue({ now, limit: 50, instance: 'a', claimUntil }),
      b.webhooks.claimDue({ now, limit: 50, instance: 'b', claimUntil }),
    ])
    const ids = [...mine, ...theirs].map((d) => d.id)
    expect(new Set(ids).size).toBe(ids.length)
    // Every pending delivery so far (the ones of the test before too), each claimed once.
    const pending = (await a.webhooks.listDeliveries({ owner: 'alice', limit: 50 })).deliveries
    expect(ids.sort()).toEqual(pending.map((d) => d.id).sort())
    // Claimed: not due again before the claim runs out.
    expect(
      await b.webhooks.claimDue({ now: later(65_000), limit: 50, instance: 'b', claimUntil }),
    ).toEqual([])

    const [first] = mine.length > 0 ? mine : theirs
    if (!first) throw new Error('nothing claimed')
    // Its instance died: past the claim, another takes it over as attempt 2.
    const again = await b.webhooks.claimDue({
      now: later(70_001),
      limit: 50,
      instance: 'b',
      claimUntil: later(80_000),
    })
    const retaken = again.find((d) => d.id === first.id)
    expect(retaken?.attempt).toBe(2)
    // The first attempt's late outcome does not decide the delivery: the second one does.
    await a.webhooks.recordAttempt(first, {
      state: 'delivered',
      statusCode: 204,
      endedAt: later(70_002),
    })
    let [delivery] = (
      await a.webhooks.listDeliveries({ owner: 'alice', limit: 50 })
    ).deliveries.filter((d) => d.id === first.id)
    expect(delivery?.state).toBe('pending')
    expect(delivery?.attempts.map((t) => t.error ?? t.statusCode)).toEqual([
      'No outcome recorded: the instance sending it stopped or lost its claim',
      undefined,
    ])
    if (!retaken) throw new Error('not retaken')
    await b.webhooks.recordAttempt(retaken, {
      state: 'pending',
      statusCode: 500,
      nextAttemptAt: later(90_000),
      endedAt: later(70_003),
    })
    ;[delivery] = (
      await a.webhooks.listDeliveries({ owner: 'alice', limit: 50 })
    ).deliveries.filter((d) => d.id === first.id)
    expect(delivery?.state).toBe('pending')
    expect(delivery?.nextAttemptAt).toEqual(later(90_000))
    expect(delivery?.attempts.map((t) => t.statusCode)).toEqual([undefined, 500])
    // A restart of the one process of a SQLite store frees its claims: due at once.
    if (!opened.shared) {
      expect(await a.webhooks.releaseClaims(later(75_000))).toBeGreaterThan(0)
      const due = await a.webhooks.claimDue({
        now: later(75_000),
        limit: 50,
        instance: 'a',
        claimUntil: later(85_000),
      })
      expect(due.length).toBeGreaterThan(0)
    }
  })
})

describe.each(dialects)('$name outbox pruning', (dialect) => {
  const opened = storesOn(dialect)

  it('deletes what finished before the time with its attempts, in batches; never a pending one', async () => {
    const [a, b] = opened.stores as [SessionStore, SessionStore]
    const ids = ['old1', 'old2', 'old3', 'old4', 'old5', 'young', 'retrying', 'claimed']
    for (const id of ids) await newSession(a, 'alice', id)
    const claimed = await a.webhooks.claimDue({
      now: later(1_000),
      limit: 50,
      instance: 'a',
      claimUntil: later(1_000_000),
    })
    const list = async () =>
      (await a.webhooks.listDeliveries({ owner: 'alice', limit: 50 })).deliveries
    const sessionOf = new Map((await list()).map((d) => [d.id, d.sessionId]))
    const claims = new Map(claimed.map((claim) => [sessionOf.get(claim.id), claim]))
    const record = (session: string, outcome: AttemptOutcome & { endedAt: Date }) => {
      const claim = claims.get(session)
      if (!claim) throw new Error(`${session} not claimed`)
      return a.webhooks.recordAttempt(claim, outcome)
    }
    for (const id of ['old1', 'old2', 'old3'])
      await record(id, { state: 'delivered', statusCode: 204, endedAt: later(2_000) })
    for (const id of ['old4', 'old5'])
      await record(id, { state: 'failed', statusCode: 410, endedAt: later(3_000) })
    await record('young', { state: 'delivered', statusCode: 200, endedAt: later(10_000) })
    // Pending for long, retried and claimed: neither is ever pruned, however old.
    await record('retrying', {
      state: 'pending',
      statusCode: 500,
      nextAttemptAt: later(2_000_000),
      endedAt: later(2_000),
    })
    const before = later(10_000)
    // Two instances at once, two at most each: on PostgreSQL each skips the rows the other
    // holds, so neither waits and nothing is deleted twice; SQLite's one writer takes turns.
    let total = 0
    let passes = 0
    for (;;) {
      const counts = await Promise.all([
        a.webhooks.pruneFinished({ before, limit: 2 }),
        b.webhooks.pruneFinished({ before, limit: 2 }),
      ])
      passes++
      expect(counts.every((count) => count <= 2)).toBe(true)
      total += counts[0] + counts[1]
      if (counts[0] + counts[1] === 0) break
    }
    expect(total).toBe(5)
    // Five over batches of two: more than one pass of the two.
    expect(passes).toBeGreaterThan(2)
    const left = await list()
    expect(left.map((d) => [d.sessionId, d.state]).sort()).toEqual([
      ['claimed', 'pending'],
      ['retrying', 'pending'],
      ['young', 'delivered'],
    ])
    // The attempts went with their deliveries.
    expect(await opened.attempted()).toEqual(left.map((d) => d.id).sort())
    // Its time past: the young one goes too; the pending ones stay.
    expect(await b.webhooks.pruneFinished({ before: later(10_001), limit: 1_000 })).toBe(1)
    expect((await list()).map((d) => d.sessionId).sort()).toEqual(['claimed', 'retrying'])
  })
})
