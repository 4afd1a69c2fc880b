/**
 * Run events through PostgreSQL (LISTEN/NOTIFY and the run_events table) between two
 * "instances" in this process, each with its own pool and listening connection.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../src/domain/clock.ts'
import type { RunEvent, RunSubscriber } from '../src/domain/run-events.ts'
import { createJsonLogger } from '../src/logger.ts'
import {
  createPostgresRunEvents,
  type PostgresRunEvents,
} from '../src/storage/postgres/pg-run-events.ts'
import { openPostgresStore, type PostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres.stop(), 60_000)

let now = new Date('2031-01-01T00:00:00Z')
const clock: Clock = { now: () => now }

interface Instance {
  opened: PostgresStore
  events: PostgresRunEvents
}
const instances: Instance[] = []
let url: string

/** What the instances logged as errors. */
let errors: string[] = []
const logger = {
  ...createJsonLogger('silent'),
  error: (message: string) => {
    errors.push(message)
  },
}

async function instance(): Promise<Instance> {
  const opened = openPostgresStore({ connectionString: url, max: 4 })
  await opened.store.migrate()
  const events = createPostgresRunEvents({
    connectionString: url,
    db: opened.db,
    logger,
    clock,
    retentionMs: 60_000,
  })
  await events.start()
  const made = { opened, events }
  instances.push(made)
  return made
}

beforeEach(async () => {
  errors = []
  url = await postgres.newDatabase()
  now = new Date('2031-01-01T00:00:00Z')
})
afterEach(async () => {
  for (const { events, opened } of instances.splice(0)) {
    await events.close()
    await opened.store.close()
  }
})

async function newSession({ opened }: Instance, id: string) {
  await opened.store.createSession({
    owner: 'alice',
    id,
    agentId: 'echo',
    name: id,
    now: clock.now(),
    message: { id: `${id}-m`, text: 'hi', files: [] },
    run: { runId: `${id}-run`, instance: 'x', leaseExpiresAt: new Date(now.getTime() + 60_000) },
  })
}

/** A subscriber that collects, and resolves `ended` on the final event or the run's end. */
function collector() {
  const events: RunEvent[] = []
  let runEnds = 0
  let resolveEnd!: () => void
  const ended = new Promise<void>((resolve) => {
    resolveEnd = resolve
  })
  const subscriber: RunSubscriber = {
    onEvent(event) {
      events.push(event)
    },
    onRunEnd() {
      runEnds++
      resolveEnd()
    },
  }
  return { events, subscriber, ended, runEnds: () => runEnds }
}

const within = <T>(promise: Promise<T>, ms = 10_000) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms),
    ),
  ])

const status = (id: number, value: 'Running' | 'Ready' | 'Flushed'): RunEvent => ({
  id,
  type: 'status',
  status: value,
})
const delta = (id: number, text: string): RunEvent => ({ id, type: 'message.delta', text })

describe('PostgreSQL run events', () => {
  it('hands a run on one instance to followers on another, in order, big events included', async () => {
    const one = await instance()
    const two = await instance()
    await newSession(one, 's1')
    const follower = collector()
    const subscription = await two.events.subscribe('s1', undefined, follower.subscriber)
    expect(subscription).toMatchObject({ replay: [], running: true })

    const log = one.events.begin('s1', 's1-run')
    const big = 'x'.repeat(20_000)
    const published = [status(1, 'Running'), delta(2, 'a'), delta(3, big), delta(4, 'é')]
    for (const event of published) log.publish(event)
    // A later batch, after the big one: still in order.
    await new Promise((resolve) => setTimeout(resolve, 20))
    log.publish(delta(5, 'b'))
    log.publish(status(6, 'Ready'))
    log.end()
    await within(follower.ended)
    expect(follower.events).toEqual(
      [...published, delta(5, 'b'), status(6, 'Ready')].map((event) => ({
        ...event,
        runId: 's1-run',
      })),
    )
    expect(follower.runEnds()).toBe(1)
    subscription.close()

    // A stream that comes back with Last-Event-ID gets what it missed, from the table.
    await one.opened.store.finishRun({
      sessionId: 's1',
      runId: 's1-run',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 6,
    })
    const late = collector()
    const resumed = await two.events.subscribe('s1', 3, late.subscriber)
    expect(resumed.replay.map((event) => event.id)).toEqual([4, 5, 6])
    resumed.close()
  })

  it('replays the run in progress to a follower that comes in the middle of it', async () => {
    const one = await instance()
    const two = await instance()
    await newSession(one, 's1')
    const log = one.events.begin('s1', 's1-run')
    log.publish(status(1, 'Running'))
    log.publish(delta(2, 'a'))
    // Published by the time a follower on the same instance hears of it.
    const here = collector()
    const first = await one.events.subscribe('s1', 2, here.subscriber)
    log.publish(delta(3, 'b'))
    await within(
      (async () => {
        while (here.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      })(),
    )
    first.close()

    const follower = collector()
    const subscription = await two.events.subscribe('s1', undefined, follower.subscriber)
    expect(subscription.running).toBe(true)
    expect(subscription.replay.map((event) => event.id)).toEqual([1, 2, 3])
    log.publish(status(4, 'Ready'))
    log.end()
    await within(follower.ended)
    expect(follower.events.map((event) => event.id)).toEqual([4])
    subscription.close()
  })

  it('answers a finished run with its status alone, unless asked from an id', async () => {
    const one = await instance()
    await newSession(one, 's1')
    const log = one.events.begin('s1', 's1-run')
    log.publish(status(1, 'Running'))
    log.publish(status(2, 'Ready'))
    log.end()
    await one.opened.store.finishRun({
      sessionId: 's1',
      runId: 's1-run',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 2,
    })
    const waited = collector()
    const end = await one.events.subscribe('s1', 1, waited.subscriber)
    // Stored once the writer got to it: poll the replay.
    let replay = end.replay
    for (let i = 0; i < 50 && replay.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      replay = (await one.events.subscribe('s1', 1, collector().subscriber)).replay
    }
    expect(replay.map((event) => event.id)).toEqual([2])
    const fresh = await one.events.subscribe('s1', undefined, collector().subscriber)
    expect(fresh).toMatchObject({ replay: [], running: false })
  })

  it('never replays the previous run as the one that starts', async () => {
    const one = await instance()
    await newSession(one, 's1')
    const first = one.events.begin('s1', 's1-run')
    first.publish(status(1, 'Running'))
    first.publish(status(2, 'Ready'))
    first.end()
    await one.opened.store.finishRun({
      sessionId: 's1',
      runId: 's1-run',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 2,
    })
    const count = async () =>
      Number((await one.opened.pool.query('SELECT COUNT(*) AS n FROM run_events')).rows[0].n)
    for (let i = 0; i < 50 && (await count()) < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    // The next turn is stored, and a stream comes before its run has cleared the old events.
    await one.opened.store.startTurn({
      owner: 'alice',
      sessionId: 's1',
      now: clock.now(),
      message: { id: 'm2', text: 'again' },
      run: { runId: 'run-2', instance: 'x', leaseExpiresAt: new Date(now.getTime() + 60_000) },
    })
    const subscription = await one.events.subscribe('s1', undefined, collector().subscriber)
    expect(subscription).toMatchObject({ replay: [], running: true })
    subscription.close()
  })

  it('never hands the late events of a flushed run, or its end, to the streams of the session', async () => {
    const one = await instance()
    const two = await instance()
    await one.opened.store.createSession({
      owner: 'alice',
      id: 's1',
      agentId: 'echo',
      name: 's1',
      now: clock.now(),
      message: { id: 's1-m', text: 'hi', files: [] },
      run: { runId: 'old', instance: 'one', leaseExpiresAt: new Date(now.getTime() + 1_000) },
      reserveEventIds: 1_000,
    })
    const stored = async () =>
      (
        await one.opened.pool.query(
          `SELECT id, run_id FROM run_events WHERE session_id = 's1' ORDER BY id`,
        )
      ).rows.map((row) => `${row.id}:${row.run_id}`)
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await check()); i++)
        await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // The run of instance one goes on; then one is cut off, and two flushes the run.
    const old = one.events.begin('s1', 'old')
    old.publish(status(1, 'Running'))
    old.publish(delta(2, 'a'))
    await until(async () => (await stored()).length === 2)
    now = new Date(now.getTime() + 2_000)
    const [flushed] = await two.opened.store.flushExpiredRuns(clock.now(), 'gone')
    expect(flushed).toEqual({
      sessionId: 's1',
      runId: 'old',
      errorEventId: 1001,
      statusEventId: 1002,
    })
    two.events.endAbandoned('s1', 'old', [
      { id: 1001, type: 'error', error: { code: 'interrupted', message: 'gone' } },
      status(1002, 'Flushed'),
    ])
    await until(async () => (await stored()).length === 4)
    // A follower waiting for the next turn (as ui_chat does) comes while the session is idle.
    const waiting = collector()
    const idle = await two.events.subscribe('s1', undefined, waiting.subscriber)
    expect(idle).toMatchObject({ replay: [], running: false })

    // One comes back: what its run still had to say is late, below the flush's fence; and an
    // end of the run comes late too (as an older release's instance ended a run it lost).
    old.publish(delta(3, ' late'))
    one.events.endAbandoned('s1', 'old', [])
    // The next turn starts on two; the old run's events, even above the fence, are not its.
    const turn = await two.opened.store.startTurn({
      owner: 'alice',
      sessionId: 's1',
      now: clock.now(),
      message: { id: 'm2', text: 'again' },
      run: { runId: 'new', instance: 'two', leaseExpiresAt: new Date(now.getTime() + 60_000) },
      reserveEventIds: 1_000,
    })
    if (typeof turn !== 'object' || !('lastEventId' in turn)) throw new Error(String(turn))
    const first = turn.lastEventId - 999
    const following = collector()
    const live = await two.events.subscribe('s1', undefined, following.subscriber)
    expect(live).toMatchObject({ replay: [], running: true })
    const next = two.events.begin('s1', 'new')
    next.publish(status(first, 'Running'))
    await until(async () => following.events.length === 1)
    // Stored after the new run's own: refused by the database, not only by the followers.
    old.publish(delta(first + 500, ' later still'))
    old.end()
    await one.events.close()
    next.publish(delta(first + 1, 'b'))
    next.publish(status(first + 2, 'Ready'))
    next.end()
    await within(following.ended)
    await within(waiting.ended)
    const newRun = [first, first + 1, first + 2]
    expect(following.events.map((event) => `${event.id}:${event.runId}`)).toEqual(
      newRun.map((id) => `${id}:new`),
    )
    expect(waiting.events.map((event) => `${event.id}:${event.runId}`)).toEqual(
      newRun.map((id) => `${id}:new`),
    )
    expect([following.runEnds(), waiting.runEnds()]).toEqual([1, 1])
    expect(await stored()).toEqual(newRun.map((id) => `${id}:new`))
    await two.opened.store.finishRun({
      sessionId: 's1',
      runId: 'new',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: first + 2,
    })
    // A stream that comes back from the old run's ids gets the new run alone.
    const resumed = await two.events.subscribe('s1', 2, collector().subscriber)
    expect(resumed.replay.map((event) => event.id)).toEqual(newRun)
    resumed.close()
    live.close()
    idle.close()
    expect(errors).toEqual([])
  })

  it('catches up on what it missed while its listening connection was down', async () => {
    const one = await instance()
    const two = await instance()
    await newSession(one, 's1')
    const follower = collector()
    const subscription = await two.events.subscribe('s1', undefined, follower.subscriber)
    const log = one.events.begin('s1', 's1-run')
    log.publish(status(1, 'Running'))
    await within(
      (async () => {
        while (follower.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      })(),
    )
    // Every listening connection is cut: both instances reconnect by themselves.
    const cut = await one.opened.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
    )
    expect(cut.rowCount).toBe(2)
    log.publish(delta(2, 'while'))
    log.publish(delta(3, ' away'))
    log.publish(status(4, 'Ready'))
    log.end()
    await within(
      (async () => {
        while (follower.events.length < 4) await new Promise((resolve) => setTimeout(resolve, 20))
      })(),
    )
    expect(follower.events.map((event) => event.id)).toEqual([1, 2, 3, 4])
    subscription.close()
  })

  it('ends a run abandoned by a dead instance, from another one', async () => {
    const one = await instance()
    const two = await instance()
    await newSession(one, 's1')
    one.events.begin('s1', 's1-run').publish(status(1, 'Running'))
    const follower = collector()
    const subscription = await two.events.subscribe('s1', undefined, follower.subscriber)
    two.events.endAbandoned('s1', 's1-run', [
      { id: 1001, type: 'error', error: { code: 'interrupted', message: 'gone' } },
      status(1002, 'Flushed'),
    ])
    await within(follower.ended)
    expect(follower.events.map((event) => event.id)).toEqual(
      follower.events[0]?.id === 1 ? [1, 1001, 1002] : [1001, 1002],
    )
    subscription.close()
  })

  it('drops, quietly, the events of a session deleted during its run', async () => {
    const one = await instance()
    await newSession(one, 's1')
    const log = one.events.begin('s1', 's1-run')
    log.publish(status(1, 'Running'))
    expect(await one.opened.store.deleteSession('alice', 's1', { force: true })).toBe('deleted')
    log.publish(delta(2, 'late'))
    log.publish(status(3, 'Flushed'))
    log.end()
    // The writer is done once it has announced the end.
    const heard = collector()
    const after = await one.events.subscribe('s1', undefined, heard.subscriber)
    expect(after).toMatchObject({ replay: [], running: false })
    after.close()
    await one.events.close()
    expect(errors).toEqual([])
    expect(
      Number((await one.opened.pool.query('SELECT COUNT(*) AS n FROM run_events')).rows[0].n),
    ).toBe(0)
  })

  it('passes cancels to every instance', async () => {
    const one = await instance()
    const two = await instance()
    const heard: string[] = []
    two.events.control.onCancel((sessionId) => heard.push(sessionId))
    await one.events.control.requestCancel('s1')
    await within(
      (async () => {
        while (heard.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      })(),
    )
    expect(heard).toEqual(['s1'])
  })

  it('forgets the events of runs that ended longer ago than the retention', async () => {
    const one = await instance()
    await newSession(one, 'old')
    const log = one.events.begin('old', 'old-run')
    log.publish(status(1, 'Running'))
    log.publish(status(2, 'Ready'))
    log.end()
    await one.opened.store.finishRun({
      sessionId: 'old',
      runId: 'old-run',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 2,
    })
    const count = async () =>
      Number((await one.opened.pool.query('SELECT COUNT(*) AS n FROM run_events')).rows[0].n)
    for (let i = 0; i < 50 && (await count()) < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    await one.events.prune()
    expect(await count()).toBe(2)
    now = new Date(now.getTime() + 61_000)
    await one.events.prune()
    expect(await count()).toBe(0)
  })

  it('keeps a branch switch on a long-idle session as long as a run, and hands it to another instance', async () => {
    const one = await instance()
    const two = await instance()
    await newSession(one, 'idle')
    await one.opened.store.finishRun({
      sessionId: 'idle',
      runId: 'idle-run',
      now: clock.now(),
      reply: null,
      status: 'Ready',
      error: null,
      lastEventId: 2,
    })
    // Long after the session's last update (a switch is none).
    now = new Date(now.getTime() + 3_600_000)
    one.events.announce('idle', [{ id: 3, type: 'branch', leafId: 'm1' }, status(4, 'Ready')])
    const count = async () =>
      Number(
        (
          await one.opened.pool.query(
            "SELECT COUNT(*) AS n FROM run_events WHERE session_id = 'idle'",
          )
        ).rows[0].n,
      )
    for (let i = 0; i < 50 && (await count()) < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    await one.events.prune()
    expect(await count()).toBe(2)
    const back = collector()
    const resumed = await two.events.subscribe('idle', 2, back.subscriber)
    expect(resumed.replay.map((event) => event.type)).toEqual(['branch', 'status'])
    resumed.close()
    now = new Date(now.getTime() + 61_000)
    await one.events.prune()
    expect(await count()).toBe(0)
  })
})
