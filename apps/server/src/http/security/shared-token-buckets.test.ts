import { describe, expect, it } from 'vitest'
import type { RateBudget } from '../../domain/rate-budget.ts'
import { SharedTokenBuckets } from './shared-token-buckets.ts'

/** One shared bucket in memory, as the database keeps it, counting the takes asked of it. */
function fakeBudget(failing = false) {
  const state = { tokens: Number.NaN, at: 0, asked: 0, wanted: [] as number[] }
  const budget: RateBudget = {
    async take(_owner, { ratePerSecond, burst }, want, nowMs) {
      state.asked++
      state.wanted.push(want)
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (failing) throw new Error('connection refused')
      const refilled = Number.isNaN(state.tokens)
        ? burst
        : Math.min(burst, state.tokens + ((nowMs - state.at) / 1000) * ratePerSecond)
      const granted = Math.min(want, Math.floor(refilled))
      state.tokens = refilled - granted
      state.at = nowMs
      return { granted, left: state.tokens }
    },
  }
  return { budget, state }
}

const allowedOf = async (results: ReturnType<SharedTokenBuckets['take']>[]) =>
  (await Promise.all(results)).filter((result) => result.allowed).length

describe('SharedTokenBuckets', () => {
  it('asks the shared bucket once per batch, for every request waiting here', async () => {
    const { budget, state } = fakeBudget()
    const buckets = new SharedTokenBuckets({ ratePerSecond: 1, burst: 7 }, budget, { batch: 5 })
    const takes = Array.from({ length: 10 }, () => buckets.take('team-a', 0))
    expect(await allowedOf(takes)).toBe(7)
    // A batch of 5, then the 2 left: the bucket is empty, the other 3 are refused.
    expect(state.asked).toBe(2)
  })

  it('serves every request of a key in flight while the bucket holds enough, in a few asks', async () => {
    const { budget, state } = fakeBudget()
    const buckets = new SharedTokenBuckets({ ratePerSecond: 1e6, burst: 1e6 }, budget, {
      batch: 5,
    })
    const takes = Array.from({ length: 50 }, () => buckets.take('team-a', 0))
    expect(await allowedOf(takes)).toBe(50)
    // A batch for the first, then one take for the 45 still waiting.
    expect(state.wanted).toEqual([5, 45])
  })

  it('refuses without asking until the empty bucket refills a token', async () => {
    const { budget, state } = fakeBudget()
    const buckets = new SharedTokenBuckets({ ratePerSecond: 2, burst: 2 }, budget, { batch: 5 })
    expect(await allowedOf([buckets.take('team-a', 0), buckets.take('team-a', 0)])).toBe(2)
    // A batch is never more than the bucket holds.
    expect(state.wanted).toEqual([2])
    const asked = state.asked
    const refused = await buckets.take('team-a', 400)
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 })
    expect(state.asked).toBe(asked)
    // Past 500 ms, a token is due: asked again, and given.
    expect((await buckets.take('team-a', 500)).allowed).toBe(true)
    expect(state.asked).toBe(asked + 1)
  })

  it('takes at once, with no promise, while it holds tokens', async () => {
    const { budget } = fakeBudget()
    const buckets = new SharedTokenBuckets({ ratePerSecond: 1, burst: 10 }, budget, { batch: 3 })
    expect(await buckets.take('team-a', 0)).toMatchObject({ allowed: true })
    const held = buckets.take('team-a', 0)
    expect(held).not.toBeInstanceOf(Promise)
    expect(held).toMatchObject({ allowed: true, remaining: 8 })
  })

  it('counts here alone, with the same budget, while the shared buckets cannot be reached', async () => {
    const { budget } = fakeBudget(true)
    const errors: unknown[] = []
    const buckets = new SharedTokenBuckets({ ratePerSecond: 1, burst: 3 }, budget, {
      batch: 2,
      onError: (error) => errors.push(error),
    })
    const results = []
    for (let i = 0; i < 4; i++) results.push(await buckets.take('team-a', 0))
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, false])
    expect(errors).toHaveLength(4)
  })
})
