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
 * Token buckets by key (an owner, a client address), in memory. Idle full buckets are dropped,
 * so memory follows the number of keys active in the last `burst / ratePerSecond` seconds, and
 * never passes `maxKeys` buckets: past it, the full ones go, then the least recently used ones
 * (down to 90 %, so that each sweep pays for a tenth of `maxKeys` new keys, not one). A key that
 * is forgotten that way starts again with a full bucket.
 *
 * @example
 * ```ts
 * const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 20 })
 * if (!buckets.take('team-a', Date.now()).allowed) { ... answer 429 ... }
 * ```
 */
export class TokenBuckets {
  /** In order of last use, oldest first. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  readonly #limit: RateLimit
  readonly #maxKeys: number

  constructor(limit: RateLimit, options: { maxKeys?: number } = {}) {
    this.#limit = limit
    this.#maxKeys = options.maxKeys ?? 10_000
  }

  /** How many keys have a bucket now. */
  get size(): number {
    return this.#buckets.size
  }

  take(key: string, nowMs: number): TakeResult {
    const { ratePerSecond, burst } = this.#limit
    const previous = this.#buckets.get(key)
    const elapsed = previous ? Math.max(0, nowMs - previous.at) / 1000 : 0
    const tokens = previous ? Math.min(burst, previous.tokens + elapsed * ratePerSecond) : burst
    const allowed = tokens >= 1
    const left = allowed ? tokens - 1 : tokens
    // Deleted first, so that the map stays in order of last use.
    this.#buckets.delete(key)
    this.#buckets.set(key, { tokens: left, at: nowMs })
    if (this.#buckets.size > this.#maxKeys) this.#sweep(nowMs)
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
    const keep = Math.floor(this.#maxKeys * 0.9)
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= keep) break
      this.#buckets.delete(key)
    }
  }
}
