import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

/**
 * Runs `work` in a transaction and resolves with its result once that transaction has committed
 * (durably, as far as the database promises): every write of the store goes through one.
 * Rejects, with nothing of `work` kept, when `work` throws or the commit fails. `work` may share
 * its transaction with other writes (group commit), so it must not end it, must not act outside
 * the database before the returned promise settles, and must run every query on `trx`: on SQLite
 * the one connection is the transaction's until the commit, and a query on the store's own
 * Kysely instance would wait for it forever.
 */
export type WriteTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>) => Promise<T>

/**
 * A transaction of its own for each write: what a database with concurrent connections and
 * its own commit grouping (PostgreSQL) wants.
 */
export function transactionPerWrite(db: Kysely<Database>): WriteTransaction {
  return (work) => db.transaction().execute(work)
}
