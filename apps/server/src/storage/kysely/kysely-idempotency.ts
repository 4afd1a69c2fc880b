import type { Kysely, Selectable } from 'kysely'
import {
  type AfterWrite,
  IdempotencyKeyTaken,
  type IdempotencyStore,
  type KeyCommit,
  type KeyLookup,
} from '../../domain/idempotency-store.ts'
import type { Database, IdempotencyKeysTable } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

/** Expired keys are deleted at most this often, by whichever commit comes along. */
const SWEEP_EVERY_MS = 60_000

type KeyRow = Pick<
  Selectable<IdempotencyKeysTable>,
  | 'fingerprint'
  | 'session_id'
  | 'message_id'
  | 'status'
  | 'headers'
  | 'body'
  | 'after_write'
  | 'created_at'
>

/** What a row holds for a request with `fingerprint`, as of `expiredBefore`. */
function lookupOf(row: KeyRow | undefined, fingerprint: string, expiredBefore: number): KeyLookup {
  if (row === undefined || Number(row.created_at) < expiredBefore) return { kind: 'free' }
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' }
  const status = row.status ?? 200
  const headers = row.headers ? (JSON.parse(row.headers) as Record<string, string>) : {}
  if (row.body !== null)
    return { kind: 'replay', answer: { status, headers, body: new Uint8Array(row.body) } }
  return {
    kind: 'resume',
    outcome: {
      status,
      headers,
      ...(row.session_id !== null && { sessionId: row.session_id }),
      ...(row.message_id !== null && { messageId: row.message_id }),
      ...(row.after_write !== null && { after: JSON.parse(row.after_write) as AfterWrite }),
    },
  }
}

const selectKey = (executor: Kysely<Database>, owner: string, key: string) =>
  executor
    .selectFrom('idempotency_keys')
    .select([
      'fingerprint',
      'session_id',
      'message_id',
      'status',
      'headers',
      'body',
      'after_write',
      'created_at',
    ])
    .where('owner', '=', owner)
    .where('key', '=', key)
    .executeTakeFirst()

/** The keys of a store: the port, and the step the store's own writes take them with. */
export interface KyselyIdempotency {
  store: IdempotencyStore
  /**
   * Takes `commit`'s key within `trx`, the transaction of the request's work: call it once the
   * work is written, so that a throw (`IdempotencyKeyTaken`) rolls the work back with it.
   */
  commitIn(trx: Kysely<Database>, commit: KeyCommit): Promise<void>
}

/**
 * The idempotency keys in the sessions database (table `idempotency_keys`), so an answer is as
 * durable as the session it is about. A key is taken by inserting its row in the transaction
 * of the request's work (`commitIn`): of two requests with one key, on one instance or two, one
 * inserts it and the other's insert meets it (PostgreSQL makes it wait for the first to commit),
 * so its work is rolled back. The answer is added to the row once sent (`complete`). Every
 * write goes through `write`, as the sessions' do.
 *
 * @example
 * ```ts
 * const keys = createKyselyIdempotency(db, transactionPerWrite(db))
 * const found = await keys.store.lookup({ owner, key, fingerprint, expiredBefore })
 * ```
 */
export function createKyselyIdempotency(
  db: Kysely<Database>,
  write: WriteTransaction,
): KyselyIdempotency {
  let lastSweep = Number.NEGATIVE_INFINITY

  async function commitIn(trx: Kysely<Database>, commit: KeyCommit): Promise<void> {
    const now = commit.now.getTime()
    const expiredBefore = commit.expiredBefore.getTime()
    if (now - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = now
      await trx.deleteFrom('idempotency_keys').where('created_at', '<', expiredBefore).execute()
    }
    const record = {
      fingerprint: commit.fingerprint,
      state: 'done' as const,
      session_id: commit.sessionId ?? null,
      message_id: commit.messageId ?? null,
      status: commit.status,
      headers: JSON.stringify(commit.headers),
      body: null,
      after_write: commit.after ? JSON.stringify(commit.after) : null,
      created_at: now,
    }
    // A row of the key that expired is replaced; a live one is another request's. Twice: on
    // PostgreSQL that row may be deleted (with its session) between the insert and the read.
    for (let attempt = 0; attempt < 2; attempt++) {
      const taken = await trx
        .insertInto('idempotency_keys')
        .values({ owner: commit.owner, key: commit.key, ...record })
        .onConflict((conflict) =>
          conflict
            .columns(['owner', 'key'])
            .doUpdateSet(record)
            .where('idempotency_keys.created_at', '<', expiredBefore),
        )
        .returning('key')
        .executeTakeFirst()
      if (taken) return
      const found = lookupOf(
        await selectKey(trx, commit.owner, commit.key),
        commit.fingerprint,
        expiredBefore,
      )
      if (found.kind !== 'free') throw new IdempotencyKeyTaken(found)
    }
    throw new Error(`The Idempotency-Key ${commit.key} could not be taken`)
  }

  return {
    commitIn,
    store: {
      async lookup({ owner, key, fingerprint, expiredBefore }) {
        return lookupOf(await selectKey(db, owner, key), fingerprint, expiredBefore.getTime())
      },

      commit: (commit) => write((trx) => commitIn(trx, commit)),

      async complete(owner, key, answer) {
        await write((trx) =>
          trx
            .updateTable('idempotency_keys')
            .set({
              status: answer.status,
              headers: JSON.stringify(answer.headers),
              body: Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength),
            })
            .where('owner', '=', owner)
            .where('key', '=', key)
            .where('body', 'is', null)
            .execute(),
        )
      },
    },
  }
}
