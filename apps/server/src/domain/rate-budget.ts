/**
 * An owner's request budget shared by every instance on one store: one token bucket per owner
 * kept in the store, from which each instance takes tokens a few at a time (see
 * `SharedTokenBuckets` in http/security), so that N instances together allow the owner's
 * budget, not N times it.
 */

/** A token bucket: `ratePerSecond` tokens added a second, up to `burst`. */
export interface BucketLimit {
  ratePerSecond: number
  burst: number
}

/** What a take from the shared bucket got. */
export interface BudgetGrant {
  /** Whole tokens taken for the caller, at most the number asked for. */
  granted: number
  /** Tokens left in the shared bucket after the take (fractional: it refills continuously). */
  left: number
}

/** The owners' shared buckets. */
export interface RateBudget {
  /**
   * Takes up to `want` whole tokens of `owner`'s bucket (full at first), refilled up to
   * `nowMs` at `limit`: one atomic step, whichever instances take at the same time.
   */
  take(owner: string, limit: BucketLimit, want: number, nowMs: number): Promise<BudgetGrant>
}
