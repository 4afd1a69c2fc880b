import { describe, expect, it } from 'vitest'
import { TokenBuckets } from './token-bucket.ts'

describe('TokenBuckets', () => {
  it('allows a burst, then refuses until tokens come back', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 })
    const results = [0, 0, 0, 0].map(() => buckets.take('a', 1000))
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(results[2]?.remaining).toBe(0)
    expect(results[3]?.retryAfterSeconds).toBe(1)
    expect(buckets.take('a', 1500).allowed).toBe(true)
    expect(buckets.take('a', 1500).allowed).toBe(false)
  })

  it('keeps owners apart', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 })
    expect(buckets.take('a', 0).allowed).toBe(true)
    expect(buckets.take('a', 0).allowed).toBe(false)
    expect(buckets.take('b', 0).allowed).toBe(true)
  })

  it('never fills past the burst, however long the quiet spell', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 2 })
    buckets.take('a', 0)
    const later = buckets.take('a', 3_600_000)
    expect(later.remaining).toBe(1)
    expect(later.resetSeconds).toBe(1)
  })

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 2 }, { maxKeys: 100 })
    // An address that keeps failing stays known while thousands of others come and go.
    for (let i = 0; i < 5_000; i++) {
      buckets.take(`other-${i}`, 0)
      if (i % 50 === 0) buckets.take('busy', 0)
      expect(buckets.size).toBeLessThanOrEqual(100)
    }
    expect(buckets.take('busy', 0).allowed).toBe(false)
    // The oldest of the others were forgotten: they start again with a full bucket.
    expect(buckets.take('other-0', 0).allowed).toBe(true)
    expect(buckets.take('other-4999', 0).allowed).toBe(true)
    expect(buckets.take('other-4999', 0).allowed).toBe(false)
  })
})
