import type { Context } from 'hono'
import type { RateBudget } from '../../domain/rate-budget.ts'
import { addAnswerHeaders } from '../answer-headers.ts'
import type { AppEnv } from '../app-env.ts'
import { SharedTokenBuckets, type SharedTokenBucketsOptions } from './shared-token-buckets.ts'
import { type RateLimit, type TakeResult, TokenBuckets } from './token-bucket.ts'

/** The owners' policy's name in the RateLimit headers: one quota for every operation. */
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
export function rateLimitHeaders(
  limit: RateLimit,
  taken: TakeResult,
  policy = POLICY,
): Record<string, string> {
  return rateLimitAnswer(rateLimitPolicy(limit, policy), taken, policy)
}

/** The `RateLimit-Policy` header of `limit`: the same on every answer, made once. */
function rateLimitPolicy(limit: RateLimit, policy: string): string {
  const window = Math.max(1, Math.ceil(limit.burst / limit.ratePerSecond))
  return `${policy};q=${limit.burst};w=${window}`
}

function rateLimitAnswer(
  policyHeader: string,
  taken: TakeResult,
  policy: string,
): Record<string, string> {
  return {
    'RateLimit-Policy': policyHeader,
    RateLimit: `${policy};r=${taken.remaining};t=${taken.resetSeconds}`,
  }
}

/** A `429` telling the client to wait `retryAfterSeconds` (at least 1). */
function tooManyRequests(c: Context<AppEnv>, taken: TakeResult): Response {
  const seconds = Math.max(1, taken.retryAfterSeconds)
  return c.json({ detail: `Too many requests; retry in ${seconds} s` }, 429, {
    'Retry-After': String(seconds),
  })
}

/**
 * Per-owner rate limiting, one token a request; see `check`. Each owner's bucket is in this
 * process's memory, exact for one process (SQLite); with `shared` (PostgreSQL) it is the one
 * every instance takes from, a batch at a time (`SharedTokenBuckets`).
 */
export class OwnerRateLimiter {
  /** Its `RateLimit-Policy`, the same on every answer. */
  readonly #policy: string
  readonly #buckets: TokenBuckets | SharedTokenBuckets

  constructor(limit: RateLimit, shared?: { budget: RateBudget } & SharedTokenBucketsOptions) {
    this.#policy = rateLimitPolicy(limit, POLICY)
    this.#buckets = shared
      ? new SharedTokenBuckets(limit, shared.budget, shared)
      : new TokenBuckets(limit)
  }

  /**
   * Takes a token for `c.get('owner')`: puts the RateLimit headers on the answer to come, and
   * answers `429` with `Retry-After` when the owner has none left.
   *
   * @example
   * ```ts
   * const limiter = new OwnerRateLimiter({ ratePerSecond: 50, burst: 100 })
   * const refused = await limiter.check(c, Date.now())
   * if (refused) return refused
   * ```
   */
  check(c: Context<AppEnv>, nowMs: number): Response | undefined | Promise<Response | undefined> {
    const taken = this.#buckets.take(c.get('owner'), nowMs)
    // Most requests find a token here at once: no promise, no turn of the event loop.
    return taken instanceof Promise
      ? taken.then((result) => this.#answer(c, result))
      : this.#answer(c, taken)
  }

  #answer(c: Context<AppEnv>, taken: TakeResult): Response | undefined {
    addAnswerHeaders(c, rateLimitAnswer(this.#policy, taken, POLICY))
    if (taken.allowed) return undefined
    return tooManyRequests(c, taken)
  }
}

/** The failed-authentication policy's name in the RateLimit headers. */
const AUTH_FAILURES_POLICY = '"auth-failures"'

/**
 * Failed authentications by client address (`clientAddress`), one token each: guessing keys,
 * or a client stuck on a wrong one, from one address gets `429`s past the budget, while valid
 * keys from that address (never counted) and other addresses go on as before. At most
 * `maxAddresses` addresses are tracked (see `TokenBuckets`).
 */
export class AuthFailureLimiter {
  readonly #limit: RateLimit
  readonly #buckets: TokenBuckets

  constructor(limit: RateLimit, maxAddresses: number) {
    this.#limit = limit
    this.#buckets = new TokenBuckets(limit, { maxKeys: maxAddresses })
  }

  /**
   * Counts a failed authentication from `address`: puts the policy's RateLimit headers on the
   * answer to come, and answers `429` with `Retry-After` (instead of the `401`) past the budget.
   *
   * @example
   * ```ts
   * const limiter = new AuthFailureLimiter({ ratePerSecond: 10 / 60, burst: 20 }, 10_000)
   * const refused = limiter.failed(c, clientAddress(c), Date.now())
   * return refused ?? unauthenticated
   * ```
   */
  failed(c: Context<AppEnv>, address: string, nowMs: number): Response | undefined {
    const taken = this.#buckets.take(address, nowMs)
    addAnswerHeaders(c, rateLimitHeaders(this.#limit, taken, AUTH_FAILURES_POLICY))
    return taken.allowed ? undefined : tooManyRequests(c, taken)
  }
}
