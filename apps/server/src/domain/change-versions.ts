/**
 * Which owners' sessions changed, as a number per owner that moves on every write: what lets
 * the server keep answers to reads (see `http/read-cache.ts`) until they would differ. A store
 * that one process owns (SQLite) counts them in memory (`storage/change-tracking.ts`); a store
 * that several instances share (PostgreSQL) keeps them in the database, moved in each write's
 * transaction, and answers with a lookup (`storage/postgres/owner-versions.ts`).
 *
 * Equal versions, equal data (as far as any answer shows).
 */
export interface ChangeVersions {
  /**
   * The current version of `owner`'s sessions. It moves, and never comes back to an earlier
   * value, once a write to them has committed; take it before reading, so that a read racing
   * a write is tagged with the version the write leaves behind. A number when it is at hand,
   * a promise when it has to be looked up.
   */
  of(owner: string): number | Promise<number>
}
