/**
 * The dispatcher's schedule on a clock the test moves: a failing endpoint is tried again after
 * exponential pauses with jitter, capped, until the delivery is older than its maximum age,
 * then `failed`; a permanent refusal (an endpoint gone from the file) gives up at once; a
 * delivery that succeeds is tried no more; finished deliveries go once their retention is past,
 * a batch per write, at the loop's start and when asked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import { retryDelay, WebhookDispatcher } from '../src/domain/webhook-dispatcher.ts'
import type { SendResult, WebhookSender } from '../src/domain/webhook-outbox.ts'
import { createJsonLogger } from '../src/logger.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { createManualClock } from './test-app.ts'

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

describe('retryDelay', () => {
  const options = { retryBaseMs: 1_000, retryMaxMs: 60_000 }
  it('doubles from the base, at most the maximum, between half and all of it', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, options, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ])
    expect(retryDelay(3, options, () => 0)).toBe(2_000)
    expect(retryDelay(30, options, () => 1)).toBe(60_000)
    expect(retryDelay(5_000, options, () => 0)).toBe(30_000)
  })
})

async function setUp(answers: () => SendResult) {
  const clock = createManualClock()
  const store: SessionStore = openSqliteStore(
    ':memory:',
    {},
    { webhookTargets: { endpointsFor: () => ['main'] } },
  )
  await store.migrate()
  const sent: string[] = []
  const sender: WebhookSender = {
    async send({ id }) {
      sent.push(id)
      return answers()
    },
  }
  const dispatcher = new WebhookDispatcher({
    outbox: store.webhooks,
    sender,
    clock,
    logger: createJsonLogger('silent'),
    instance: 'test',
    concurrency: 4,
    timeoutMs: 1_000,
    // Only the test's nudges look at the outbox.
    pollMs: 3_600_000,
    retryBaseMs: 1_000,
    retryMaxMs: 4_000,
    maxAgeMs: 10_000,
    retentionMs: 60_000,
    pruneBatch: 2,
    random: () => 1,
  })
  stops.push(async () => {
    await dispatcher.stop(0)
    await store.close()
  })
  /** A session of alice's, and so one `session.created` delivery. */
  const newSession = (id: string) =>
    store.createSession({
      id,
      owner: 'alice',
      agentId: 'echo',
      name: `Session ${id}`,
      now: clock.now(),
      message: { id: `${id}-m`, text: 'hi', files: [] },
      run: { runId: `${id}-r`, instance: 'test', leaseExpiresAt: clock.now() },
    })
  await newSession('s1')
  const delivery = async () =>
    (await store.webhooks.listDeliveries({ owner: 'alice', limit: 1 })).deliveries[0]
  /** Waits until `count` attempts have ended. */
  const attempted = (count: number) =>
    vi.waitFor(async () => {
      const attempts = (await delivery())?.attempts ?? []
      expect(attempts.filter((a) => a.endedAt)).toHaveLength(count)
    })
  const deliveries = async () =>
    (await store.webhooks.listDeliveries({ owner: 'alice', limit: 100 })).deliveries
  return { clock, dispatcher, sent, delivery, deliveries, attempted, newSession }
}

describe('WebhookDispatcher', () => {
  it('backs off exponentially up to the maximum, then fails once the delivery is too old', async () => {
    const { clock, dispatcher, sent, delivery, attempted } = await setUp(() => ({
      statusCode: 500,
    }))
    const start = clock.now().getTime()
    dispatcher.start()
    await attempted(1)
    const dueAt: number[] = []
    for (let attempt = 2; ; attempt++) {
      const next = (await delivery())?.nextAttemptAt
      if (!next) break
      dueAt.push(next.getTime() - start)
      // Not due yet: nothing is sent.
      clock.advance(next.getTime() - clock.now().getTime() - 1)
      dispatcher.nudge()
      await new Promise((resolve) => setImmediate(resolve))
      expect(sent).toHaveLength(attempt - 1)
      clock.advance(1)
      dispatcher.nudge()
      await attempted(attempt)
    }
    // 1 s, then 2 s, then 4 s (the maximum): the next pause would end past 10 s.
    expect(dueAt).toEqual([1_000, 3_000, 7_000])
    const last = await delivery()
    expect(last?.state).toBe('failed')
    expect(last?.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500])
    expect(new Set(sent).size).toBe(1)
  })

  it('gives up at once on a permanent refusal, and stops after a success', async () => {
    const gone = await setUp(() => ({ error: 'gone from the file', permanent: true }))
    gone.dispatcher.start()
    await gone.attempted(1)
    expect((await gone.delivery())?.state).toBe('failed')

    const ok = await setUp(() => ({ statusCode: 204 }))
    ok.dispatcher.start()
    await ok.attempted(1)
    expect((await ok.delivery())?.state).toBe('delivered')
    ok.clock.advance(3_600_000)
    ok.dispatcher.nudge()
    await new Promise((resolve) => setImmediate(resolve))
    expect(ok.sent).toHaveLength(1)
  })

  it('prunes what finished more than the retention ago, a batch per write, at start and after', async () => {
    const { clock, dispatcher, deliveries, newSession } = await setUp(() => ({ statusCode: 204 }))
    const finished = async (count: number) =>
      vi.waitFor(async () => {
        const states = (await deliveries()).map((d) => d.state)
        expect(states.filter((state) => state === 'delivered')).toHaveLength(count)
      })
    dispatcher.start()
    await newSession('s2')
    await newSession('s3')
    await finished(3)
    // Retention (60 s) not yet past: nothing goes.
    clock.advance(60_000)
    expect(await dispatcher.prune()).toBe(0)
    await newSession('s4')
    await finished(4)
    // Three past it, over two writes of at most two; the young one stays.
    clock.advance(1)
    expect(await dispatcher.prune()).toBe(3)
    expect((await deliveries()).map((d) => d.sessionId)).toEqual(['s4'])
    // A restart prunes at once (the loop's first beat), without a call.
    await dispatcher.stop(0)
    clock.advance(60_001)
    dispatcher.start()
    await vi.waitFor(async () => expect(await deliveries()).toEqual([]))
  })
})
