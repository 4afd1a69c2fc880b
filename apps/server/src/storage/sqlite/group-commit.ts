import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from '../kysely/schema.ts'
import type { WriteTransaction } from '../kysely/write-transaction.ts'
import type { StorageObserver } from '../storage-observer.ts'

type Work = (trx: Kysely<Database>) => Promise<unknown>

interface PendingWrite {
  work: Work
  resolve(value: unknown): void
  reject(reason: unknown): void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

const BEGIN = CompiledQuery.raw('BEGIN')
const COMMIT = CompiledQuery.raw('COMMIT')
const ROLLBACK = CompiledQuery.raw('ROLLBACK')
// One name is enough: the writes of a batch run one after the other, never nested.
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT write')
const RELEASE = CompiledQuery.raw('RELEASE write')
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO write')

/**
 * Group commit for the SQLite store. With `synchronous = FULL` every commit waits for an fsync
 * (milliseconds on a VM's disk), and better-sqlite3 waits on the event loop. So the writes that
 * arrive in the same turn of the event loop, or while a batch is being committed, are run one
 * after the other in one transaction and share its commit: one fsync for all of them, and each
 * caller's promise settles only once that commit is on disk, so nothing is acknowledged before
 * it would survive a power loss.
 *
 * `beforeCommit` runs after the batch's writes, before its commit, in the same transaction
 * (the SQLite store writes its search index's queued texts there, once a batch); when it fails,
 * every write of the batch fails.
 *
 * Each write runs within a savepoint of its own: a write that throws is rolled back alone and
 * rejects with its own error, while the others commit. Only a failing commit (or SQLite giving
 * up the whole transaction, as on a full disk) fails every write of the batch. Reads outside
 * the writes wait for the connection, so they never see a batch before its commit.
 *
 * @example
 * ```ts
 * const write = groupCommit(db)
 * const id = await write((trx) => trx.insertInto('sessions').values(row).execute())
 * ```
 */
export function groupCommit(
  db: Kysely<Database>,
  options: { onCommit?: StorageObserver['committed']; beforeCommit?: readonly string[] } = {},
): WriteTransaction {
  const { onCommit } = options
  const beforeCommit = (options.beforeCommit ?? []).map((query) => CompiledQuery.raw(query))
  let queue: PendingWrite[] = []
  let scheduled = false

  const schedule = () => {
    if (scheduled) return
    scheduled = true
    // After the I/O callbacks of this turn: the requests that arrived together share a batch.
    setImmediate(commitQueued)
  }

  async function commitQueued(): Promise<void> {
    const batch = queue
    queue = []
    const started = performance.now()
    try {
      const outcomes = await db.connection().execute((conn) => runBatch(conn, batch, beforeCommit))
      onCommit?.(batch.length, (performance.now() - started) / 1000, true)
      batch.forEach((write, index) => {
        const outcome = outcomes[index] as Outcome
        if (outcome.ok) write.resolve(outcome.value)
        else write.reject(outcome.error)
      })
    } catch (error) {
      onCommit?.(batch.length, (performance.now() - started) / 1000, false)
      for (const write of batch) write.reject(error)
    } finally {
      scheduled = false
      if (queue.length > 0) schedule()
    }
  }

  return <T>(work: (trx: Kysely<Database>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      schedule()
    })
}

async function runBatch(
  conn: Kysely<Database>,
  batch: PendingWrite[],
  beforeCommit: CompiledQuery[],
): Promise<Outcome[]> {
  await conn.executeQuery(BEGIN)
  try {
    const outcomes: Outcome[] = []
    for (const write of batch) outcomes.push(await runIsolated(conn, write.work))
    for (const query of beforeCommit) await conn.executeQuery(query)
    await conn.executeQuery(COMMIT)
    return outcomes
  } catch (error) {
    // SQLite may have ended the transaction itself (it does on some I/O errors): then there is
    // nothing left to roll back, and the error that matters is the first one.
    await conn.executeQuery(ROLLBACK).catch(() => {})
    throw error
  }
}

async function runIsolated(conn: Kysely<Database>, work: Work): Promise<Outcome> {
  await conn.executeQuery(SAVEPOINT)
  let outcome: Outcome
  try {
    outcome = { ok: true, value: await work(conn) }
  } catch (error) {
    // Without the savepoint the transaction is gone (SQLite rolled it back): the batch fails,
    // with this write's error as the reason.
    await conn.executeQuery(ROLLBACK_TO).catch(() => {
      throw error
    })
    outcome = { ok: false, error }
  }
  await conn.executeQuery(RELEASE)
  return outcome
}
