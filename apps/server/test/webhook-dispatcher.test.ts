/**
 * The dispatcher's schedule on a clock the test moves: a failing endpoint is tried again after
 * exponential pauses with jitter, capped, until the delivery is older than its maximum age,
 * then `failed`; a permanent refusal (an endpoint gone from the file) gives up at once; a
 * delivery that succeeds is tried no more.
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
    random: () => 1,
  })
  stops.push(async () => {
    await dispatcher.stop(0)
    await store.close()
  })
  await store.createSession({
    id: 's1',
    owner: 'alice',
    agentId: 'echo',
    name: 'One',
    now: clock.now(),
    message: { id: 'm1', text: 'hi', files: [] },
    run: { runId: 'r1', instance: 'test', leaseExpiresAt: clock.now() },
  })
  const delivery = async () =>
    (await store.webhooks.listDeliveries({ owner: 'alice', limit: 1 })).deliveries[0]
  /** Waits until `count` attempts have ended. */
  const attempted = (count: number) =>
    vi.waitFor(async () => {
      const attempts = (await delivery())?.attempts ?? []
      expect(attempts.filter((a) => a.endedAt)).toHaveLength(count)
    })
  return { clock, dispatcher, sent, delivery, attempted }
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
})
