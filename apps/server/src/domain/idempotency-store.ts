/**
 * Where `Idempotency-Key`s are remembered: per owner, the request each key was first used for
 * (as a fingerprint), what its work did (its outcome) and, once answered, the answer to replay.
 * Durable, so that a retry after a restart is still recognised.
 *
 * Exactly once: a key is taken by the very transaction that does its request's work (the store
 * writes the outcome with the session's rows, see `KeyCommit`), so the work and the key's record
 * commit together or not at all. A retry whose key has an outcome never does the work again: it
 * answers the stored answer or, if the first request died before answering, the outcome as it
 * stands now; a retry whose key has none does the work, once.
 */

/** An answer as replayed: status, the headers that matter, and the body's bytes. */
export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

/** A request that carries a key its owner has not used for anything yet. */
export interface KeyClaim {
  owner: string
  key: string
  /** A hash of what makes the request this request: method, path and body. */
  fingerprint: string
  now: Date
  /** Records created before this are expired: as if they did not exist. */
  expiredBefore: Date
}

/** A {@link KeyClaim} with the answer its request gives once its work is done. */
export interface KeyedRequest extends KeyClaim {
  /** The status the request answers once its work is done (200, 202, 204). */
  status: number
  /** The headers of that answer that belong to it (`Preference-Applied`). */
  headers: Record<string, string>
}

/** What a request did after its write, which its retry does again before answering. */
export interface AfterWrite {
  /** The run the request started (`wait`: it waits for it) or stopped (`cancel`). */
  runId: string
  action: 'wait' | 'cancel'
}

/** What a keyed request's work did: enough to answer its retry if its own answer is lost. */
export interface KeyOutcome {
  status: number
  headers: Record<string, string>
  /** The session the answer shows; absent for an answer without a body (a delete's). */
  sessionId?: string
  /** A rating's: the answer shows this message's rating (of `sessionId`), not the session. */
  messageId?: string
  after?: AfterWrite
}

/** The record a keyed request's work writes in its own transaction. */
export interface KeyCommit extends KeyedRequest {
  sessionId?: string
  messageId?: string
  after?: AfterWrite
}

/** What a key holds, as a request that carries it finds it. */
export type KeyLookup =
  /** Never used (or expired): the request does its work, which takes the key. */
  | { kind: 'free' }
  /** The same request was answered already: send this answer again. */
  | { kind: 'replay'; answer: StoredAnswer }
  /** The same request's work is done, its answer not stored (yet): answer the outcome. */
  | { kind: 'resume'; outcome: KeyOutcome }
  /** The key was used for a different request. */
  | { kind: 'mismatch' }

/**
 * Thrown by a write whose key another request took first (the same request sent twice at
 * once): the write is rolled back, and `found` says what the key holds instead.
 */
export class IdempotencyKeyTaken extends Error {
  constructor(readonly found: Exclude<KeyLookup, { kind: 'free' }>) {
    super('The Idempotency-Key was taken by another request')
    this.name = 'IdempotencyKeyTaken'
  }
}

export interface IdempotencyStore {
  /** What the owner's key holds for a request with `fingerprint`. */
  lookup(query: {
    owner: string
    key: string
    fingerprint: string
    expiredBefore: Date
  }): Promise<KeyLookup>
  /**
   * Takes the key for `commit` in a transaction of its own, for work that is not a write of
   * the store (a cancel); throws `IdempotencyKeyTaken` if another request has it.
   */
  commit(commit: KeyCommit): Promise<void>
  /**
   * Stores the answer of a request whose work took the key (kept only while its record is:
   * deleting the session it shows deletes it). Does nothing once an answer is stored.
   */
  complete(owner: string, key: string, answer: StoredAnswer): Promise<void>
}
