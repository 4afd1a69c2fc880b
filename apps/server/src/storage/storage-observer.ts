/**
 * What the stores report of themselves, for metrics (`observability/metrics.ts` implements it):
 * every call is optional, and a store without an observer reports nothing.
 */
export interface StorageObserver {
  /** A group commit (SQLite) of `size` writes took `seconds`; `ok` unless the commit failed. */
  committed?(size: number, seconds: number, ok: boolean): void
  /** The PostgreSQL connection that LISTENs for run events was opened again after it broke. */
  listenReconnected?(): void
  /** The PostgreSQL pool's connections, read at each scrape. */
  watchPool?(read: () => { total: number; idle: number; waiting: number }): void
}
