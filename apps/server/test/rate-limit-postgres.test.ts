/**
 * Rate limits across instances on one PostgreSQL database (a throwaway embedded server): each
 * instance takes its share of an owner's tokens from the database, a batch at a time, so two
 * instances together allow the owner's budget, not twice it, and at most one batch per
 * instance more over any period.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createSessionsApp } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import { SharedTokenBuckets } from '../src/http/security/shared-token-buckets.ts'
import { TokenBuckets } from '../src/http/security/token-bucket.ts'
import { createJsonLogger } from '../src/logger.ts'
import { createPostgresRateBudget } from '../src/storage/postgres/pg-rate-budget.ts'
import { openPostgresStore, type PostgresStore } from '../src/storage/postgres/postgres-store.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'
import { createManualClock } from './test-app.ts'

let postgres: TestPostgres
beforeAll(async () => {
  postgres = await startTestPostgres()
}, 60_000)
afterAll(() => postgres?.stop(), 60_000)

const opened: PostgresStore[] = []
afterEach(async () => {
  for (const { store } of opened.splice(0)) await store.close()
})

/** `count` stores (instances) on one new database, each with its own pool. */
async function instances(count: number): Promise<PostgresStore[]> {
  const url = await postgres.newDatabase()
  const made = Array.from({ length: count }, () => openPostgresStore({ connectionString: url }))
  opened.push(...made)
  await made[0]?.store.migrate()
  return made
}

const keys = { uxm_a: 'team-a' }
const asTeamA = { headers: { Authorization: 'Bearer uxm_a' } }

describe('rate limits on PostgreSQL', () => {
  it('allows two instances together the budget of one owner, not twice it', async () => {
    const clock = createManualClock()
    const config: ServerConfig = {
      ...defaultConfig,
      logLevel: 'silent',
      rateLimitPerSecond: 1,
      rateLimitBurst: 20,
      rateLimitBatch: 5,
    }
    const apps = (shared: boolean) =>
      opened.slice(-2).map(
        ({ store, pool }) =>
          createSessionsApp({
            store,
            agents: createAgentRegistry([createEchoAgent({ delayMs: 0 })]),
            config,
            logger: createJsonLogger('silent'),
            clock,
            apiKeys: (key) => keys[key as keyof typeof keys],
            ...(shared && { rateBudget: createPostgresRateBudget(pool) }),
          }).app,
      )
    /** `rounds` requests on each instance, five at a time on both: how many were allowed. */
    const spread = async (instancesNow: ReturnType<typeof apps>, rounds: number) => {
      const statuses: number[] = []
      for (let round = 0; round < rounds; round += 5) {
        const answers = await Promise.all(
          instancesNow.flatMap((app) =>
            Array.from({ length: 5 }, () => app.request('/agents', asTeamA)),
          ),
        )
        statuses.push(...answers.map((answer) => answer.status))
      }
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true)
      return statuses.filter((status) => status === 200).length
    }

    await instances(2)
    // Counted by each instance alone (as on SQLite, one process): twice the burst.
    expect(await spread(apps(false), 30)).toBe(40)

    await instances(2)
    const shared = apps(true)
    // The clock stands still: the burst, exactly, between the two.
    expect(await spread(shared, 30)).toBe(20)
    const refused = await shared[1]?.request('/agents', asTeamA)
    expect(refused?.status).toBe(429)
    expect(refused?.headers.get('Retry-After')).toBe('1')
    // Five seconds refill five tokens, for the two together.
    clock.advance(5_000)
    expect(await spread(shared, 10)).toBe(5)
  })

  it('never allows more than the budget plus a batch per instance over any period', async () => {
    const limit = { ratePerSecond: 20, burst: 10 }
    const batch = 4
    const stores = await instances(2)
    const buckets = stores.map(
      ({ pool }) => new SharedTokenBuckets(limit, createPostgresRateBudget(pool), { batch }),
    )
    // A seeded walk of time: bursts on either instance or both, pauses, lulls.
    let seed = 7
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    let now = Date.parse('2031-01-01T00:00:00Z')
    const allowedAt: number[] = []
    // One bucket in one process, asked the same at the same times: what an exact limit allows.
    const exact = new TokenBuckets(limit)
    let exactlyAllowed = 0
    const steps = 120
    let asked = 0
    for (let step = 0; step < steps; step++) {
      now += Math.floor(random() * (random() < 0.1 ? 800 : 60))
      const at = now
      const takes = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
        const bucket = buckets[random() < 0.5 ? 0 : 1] as SharedTokenBuckets
        return bucket.take('team-a', at)
      })
      asked += takes.length
      for (let i = 0; i < takes.length; i++) if (exact.take('team-a', at).allowed) exactlyAllowed++
      for (const taken of await Promise.all(takes)) if (taken.allowed) allowedAt.push(at)
    }
    // Any period [from, to]: one bucket allows burst + rate × length; two instances, at most
    // a batch each more (the tokens each held when the period began).
    const bound = (from: number, to: number) =>
      limit.burst + (limit.ratePerSecond * (to - from)) / 1000 + 2 * batch
    let worst = Number.NEGATIVE_INFINITY
    for (let i = 0; i < allowedAt.length; i++) {
      for (let j = i; j < allowedAt.length; j++) {
        const from = allowedAt[i] as number
        const to = allowedAt[j] as number
        worst = Math.max(worst, j - i + 1 - bound(from, to))
      }
    }
    expect(worst).toBeLessThanOrEqual(0)
    // And no fewer than the exact limit, but for what the instances hold unspent.
    expect(allowedAt.length).toBeGreaterThanOrEqual(exactlyAllowed - 2 * batch)
    expect(allowedAt.length).toBeLessThanOrEqual(exactlyAllowed + 2 * batch)
    // Refusals there were, many: the walk goes past the budget.
    expect(asked - exactlyAllowed).toBeGreaterThan(100)
  })
})
