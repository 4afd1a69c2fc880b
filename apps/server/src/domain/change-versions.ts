/**
 * Which owners' sessions changed, as a number per owner that moves on every write: what lets
 * the server keep answers to reads (see `http/read-cache.ts`) until they would differ. Only a
 * store that sees every write can tell, i.e. one that a single process owns (SQLite); a store
 * shared by several instances has none (`storage/change-tracking.ts` makes them).
 *
 * Equal versions, equal data (as far as any answer shows).
 */
export interface ChangeVersions {
  /**
   * The current version of `owner`'s sessions. It moves, and never comes back to an earlier
   * value, once a write to them has committed; take it before reading, so that a read racing
   * a write is tagged with the version the write leaves behind.
   */
  of(owner: string): number
}
