import type { Context } from 'hono'
import { addAnswerHeaders } from '../answer-headers.ts'
import type { AppEnv } from '../app-env.ts'
import { type RateLimit, type TakeResult, TokenBuckets } from './token-bucket.ts'

/** The policy's name in the RateLimit headers: one quota for every operation. */
const POLICY = '"default"'

/**
 * The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers, structured fields) for a
 * token bucket: the quota is the burst, refilled in `w` seconds at the steady rate.
 *
 * @example
 * ```ts
 * rateLimitHeaders({ ratePerSecond: 50, burst: 100 }, result)
 * // { 'RateLimit-Policy': '"default";q=100;w=2', RateLimit: '"default";r=99;t=1' }
 * ```
 */
export function rateLimitHeaders(limit: RateLimit, taken: TakeResult): Record<string, string> {
  const window = Math.max(1, Math.ceil(limit.burst / limit.ratePerSecond))
  return {
    'RateLimit-Policy': `${POLICY};q=${limit.burst};w=${window}`,
    RateLimit: `${POLICY};r=${taken.remaining};t=${taken.resetSeconds}`,
  }
}

/** Per-owner rate limiting, one token a request; see `check`. */
export class OwnerRateLimiter {
  readonly #limit: RateLimit
  readonly #buckets: TokenBuckets

  constructor(limit: RateLimit) {
    this.#limit = limit
    this.#buckets = new TokenBuckets(limit)
  }

  /**
   * Takes a token for `c.get('owner')`: puts the RateLimit headers on the answer to come, and
   * answers `429` with `Retry-After` when the owner has none left.
   *
   * @example
   * ```ts
   * const limiter = new OwnerRateLimiter({ ratePerSecond: 50, burst: 100 })
   * const refused = limiter.check(c, Date.now())
   * if (refused) return refused
   * ```
   */
  check(c: Context<AppEnv>, nowMs: number): Response | undefined {
    const taken = this.#buckets.take(c.get('owner'), nowMs)
    addAnswerHeaders(c, rateLimitHeaders(this.#limit, taken))
    if (taken.allowed) return undefined
    const seconds = Math.max(1, taken.retryAfterSeconds)
    return c.json({ detail: `Too many requests; retry in ${seconds} s` }, 429, {
      'Retry-After': String(seconds),
    })
  }
}
