/** How many requests an owner may make: a steady rate, with bursts up to `burst`. */
export interface RateLimit {
  /** Tokens added per second. */
  ratePerSecond: number
  /** The bucket's size: how many requests may come at once after a quiet spell. */
  burst: number
}

export interface TakeResult {
  allowed: boolean
  /** Whole requests left right now. */
  remaining: number
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfterSeconds: number
  /** Seconds until the bucket is full again. */
  resetSeconds: number
}

/**
 * Token buckets by key (one per owner), in memory. Idle full buckets are dropped, so memory
 * follows the number of owners active in the last `burst / ratePerSecond` seconds.
 *
 * @example
 * ```ts
 * const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 20 })
 * if (!buckets.take('team-a', Date.now()).allowed) { ... answer 429 ... }
 * ```
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  readonly #limit: RateLimit

  constructor(limit: RateLimit) {
    this.#limit = limit
  }

  take(key: string, nowMs: number): TakeResult {
    const { ratePerSecond, burst } = this.#limit
    const previous = this.#buckets.get(key)
    const elapsed = previous ? Math.max(0, nowMs - previous.at) / 1000 : 0
    const tokens = previous ? Math.min(burst, previous.tokens + elapsed * ratePerSecond) : burst
    const allowed = tokens >= 1
    const left = allowed ? tokens - 1 : tokens
    this.#buckets.set(key, { tokens: left, at: nowMs })
    if (this.#buckets.size > 10_000) this.#sweep(nowMs)
    return {
      allowed,
      remaining: Math.floor(left),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - left) / ratePerSecond),
      resetSeconds: Math.ceil((burst - left) / ratePerSecond),
    }
  }

  #sweep(nowMs: number): void {
    const { ratePerSecond, burst } = this.#limit
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((nowMs - bucket.at) / 1000) * ratePerSecond >= burst)
        this.#buckets.delete(key)
    }
  }
}
