import type { RateBudget } from '../../domain/rate-budget.ts'
import { type RateLimit, type TakeResult, TokenBuckets } from './token-bucket.ts'

/** How many times one request asks the shared bucket for a batch, at most. */
const MAX_ASKS = 3

/** What this instance holds of one key's shared bucket. */
interface Held {
  /** Tokens taken from the shared bucket and not used yet. */
  tokens: number
  /** The shared bucket's tokens after the last take from here, and when (ms). */
  left: number
  at: number
  /** Before this (ms) the shared bucket has no whole token: refused without asking it. */
  emptyUntil: number
  /** The take from the shared bucket under way, which the key's requests here wait for. */
  taking: Promise<void> | undefined
  /** Requests of the key here waiting for tokens from the shared bucket. */
  waiting: number
}

export interface SharedTokenBucketsOptions {
  /**
   * Tokens taken from the shared bucket at once (at most `burst`): one statement per this many
   * requests of a key here. Over any period, N instances allow at most N times this more than
   * one bucket would (the tokens each holds when it begins).
   */
  batch: number
  /** Keys held here at most; past it the least recently used go, with what they held. */
  maxKeys?: number
  /** The shared buckets cannot be reached: told once per failed take (the log). */
  onError?: (error: unknown) => void
}

/**
 * Token buckets by key (an owner) shared by every instance on one store: each instance takes
 * its share of a key's tokens from the store `batch` at a time, and spends them locally, so
 * that the instances together allow one bucket's budget plus at most `batch` per instance. A
 * request waits for the store only when this instance holds none of its key's tokens. While
 * the store cannot be reached, each instance counts alone (an in-memory bucket of the same
 * size): a database outage does not turn the API off, nor the limit.
 *
 * @example
 * ```ts
 * const buckets = new SharedTokenBuckets({ ratePerSecond: 50, burst: 100 }, budget, { batch: 10 })
 * const taken = await buckets.take('team-a', Date.now())
 * ```
 */
export class SharedTokenBuckets {
  readonly #limit: RateLimit
  readonly #budget: RateBudget
  readonly #batch: number
  readonly #maxKeys: number
  readonly #onError: ((error: unknown) => void) | undefined
  /** In order of last use, oldest first. */
  readonly #held = new Map<string, Held>()
  /** While the store cannot be reached. */
  readonly #alone: TokenBuckets

  constructor(limit: RateLimit, budget: RateBudget, options: SharedTokenBucketsOptions) {
    this.#limit = limit
    this.#budget = budget
    this.#batch = Math.max(1, Math.min(Math.floor(options.batch), Math.floor(limit.burst)))
    this.#maxKeys = options.maxKeys ?? 10_000
    this.#onError = options.onError
    this.#alone = new TokenBuckets(limit, { maxKeys: this.#maxKeys })
  }

  /** At once when this instance holds a token of the key (or knows the bucket empty). */
  take(key: string, nowMs: number): TakeResult | Promise<TakeResult> {
    const held = this.#heldFor(key, nowMs)
    if (held.tokens >= 1) return this.#spend(held, nowMs)
    if (!held.taking && nowMs < held.emptyUntil) return this.#refuse(held, nowMs)
    return this.#takeShared(key, held, nowMs)
  }

  async #takeShared(key: string, held: Held, nowMs: number): Promise<TakeResult> {
    // A request that finds the batch it waited for spent by the others waiting asks again, for
    // every request then waiting (a batch at least), a few times at most, unless the bucket was
    // found empty meanwhile. Asking for a batch alone let 50 requests of one owner in flight
    // starve most of them into 429s with the bucket full. A request stops counting as waiting
    // in the step that serves or refuses it, so that no ask counts it after.
    held.waiting++
    for (let asks = 0; asks < MAX_ASKS; ) {
      if (held.taking) await held.taking
      else {
        asks++
        const failed = await this.#ask(key, held, nowMs)
        if (failed !== undefined) {
          this.#onError?.(failed)
          held.waiting--
          return this.#alone.take(key, nowMs)
        }
      }
      if (held.tokens >= 1) {
        held.waiting--
        return this.#spend(held, nowMs)
      }
      if (nowMs < held.emptyUntil) break
    }
    held.waiting--
    return this.#refuse(held, nowMs)
  }

  /** Takes a batch from the shared bucket into `held`; resolves with the error if it failed. */
  #ask(key: string, held: Held, nowMs: number): Promise<unknown> {
    let failed: unknown
    const want = Math.min(Math.floor(this.#limit.burst), Math.max(this.#batch, held.waiting))
    const taking = this.#budget.take(key, this.#limit, want, nowMs).then(
      ({ granted, left }) => {
        held.tokens += granted
        held.left = left
        held.at = nowMs
        // No whole token left there until the bucket refills one.
        held.emptyUntil = left < 1 ? nowMs + ((1 - left) / this.#limit.ratePerSecond) * 1000 : 0
      },
      (error: unknown) => {
        failed = error
      },
    )
    held.taking = taking.finally(() => {
      held.taking = undefined
    })
    return held.taking.then(() => failed)
  }

  #heldFor(key: string, nowMs: number): Held {
    let held = this.#held.get(key)
    // Deleted first, so that the map stays in order of last use.
    if (held) this.#held.delete(key)
    else
      held = {
        tokens: 0,
        left: this.#limit.burst,
        at: nowMs,
        emptyUntil: 0,
        taking: undefined,
        waiting: 0,
      }
    this.#held.set(key, held)
    if (this.#held.size > this.#maxKeys) {
      // Forgetting what a key held only ever allows less.
      for (const [oldest, entry] of this.#held) {
        if (this.#held.size <= this.#maxKeys) break
        if (!entry.taking && entry.waiting === 0) this.#held.delete(oldest)
      }
    }
    return held
  }

  /** The shared bucket as last seen from here, refilled up to `nowMs`. */
  #leftNow(held: Held, nowMs: number): number {
    const { ratePerSecond, burst } = this.#limit
    return Math.min(burst, held.left + (Math.max(0, nowMs - held.at) / 1000) * ratePerSecond)
  }

  #spend(held: Held, nowMs: number): TakeResult {
    held.tokens -= 1
    const { ratePerSecond, burst } = this.#limit
    // What this instance knows: its own tokens and the shared bucket as it last saw it.
    const left = Math.min(burst, held.tokens + this.#leftNow(held, nowMs))
    return {
      allowed: true,
      remaining: Math.floor(left),
      retryAfterSeconds: 0,
      resetSeconds: Math.ceil((burst - left) / ratePerSecond),
    }
  }

  #refuse(held: Held, nowMs: number): TakeResult {
    const { ratePerSecond, burst } = this.#limit
    const left = this.#leftNow(held, nowMs)
    return {
      allowed: false,
      remaining: 0,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - left) / ratePerSecond)),
      resetSeconds: Math.ceil((burst - left) / ratePerSecond),
    }
  }
}
