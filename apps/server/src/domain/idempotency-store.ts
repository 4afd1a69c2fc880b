/**
 * Where `Idempotency-Key`s are remembered: per owner, the request each key was first used for
 * (as a fingerprint) and, once answered, the answer to replay. Durable, so that a retry after a
 * restart is still recognised.
 */

/** An answer as replayed: status, the headers that matter, and the body's bytes. */
export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

export interface IdempotencyClaim {
  owner: string
  key: string
  /** A hash of what makes the request this request: method, path and body. */
  fingerprint: string
  /** The session the request is about, when its path names one (see `complete`). */
  sessionId?: string
}

/** What to do with a request that carries a key. */
export type ClaimOutcome =
  /** The key is now this request's: run it, then `complete` or `release`. */
  | { kind: 'claimed' }
  /** The same request was answered already: send this answer again. */
  | { kind: 'replay'; answer: StoredAnswer }
  /** The same request is being answered right now. */
  | { kind: 'in_progress' }
  /** The key was used for a different request. */
  | { kind: 'mismatch' }

export interface ClaimTimes {
  now: Date
  /** Records created before this are expired: as if they did not exist. */
  expiredBefore: Date
  /** An unanswered record claimed before this was cut off (its request hung or crashed). */
  abandonedBefore: Date
}

export interface IdempotencyStore {
  /** Claims `claim.key` for the request, or says why not. Atomic: one of two racers claims. */
  claim(claim: IdempotencyClaim, times: ClaimTimes): Promise<ClaimOutcome>
  /**
   * Stores the answer of a claimed request. An answer about a session (the claim's, or
   * `sessionId` for one the request created) is kept only while that session exists, and is
   * deleted with it: answers hold the session's messages.
   */
  complete(owner: string, key: string, answer: StoredAnswer, sessionId?: string): Promise<void>
  /** Frees a claimed key whose request did nothing (an error answer): it may be used again. */
  release(owner: string, key: string): Promise<void>
  /**
   * Frees every key still claimed by a request in progress: at start, when the process that
   * was answering them is gone. Returns how many.
   */
  releaseInterrupted(): Promise<number>
}
