import type { Selectable } from 'kysely'
import type {
  ClaimOutcome,
  IdempotencyStore,
  StoredAnswer,
} from '../../domain/idempotency-store.ts'
import type { Dialect, IdempotencyKeysTable } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

/** Expired keys are deleted at most this often, by whichever claim comes along. */
const SWEEP_EVERY_MS = 60_000

function toAnswer(row: Pick<Selectable<IdempotencyKeysTable>, 'status' | 'headers' | 'body'>) {
  return {
    status: row.status ?? 500,
    headers: row.headers ? (JSON.parse(row.headers) as Record<string, string>) : {},
    body: new Uint8Array(row.body ?? new Uint8Array(0)),
  } satisfies StoredAnswer
}

/**
 * The idempotency keys in the sessions database (table `idempotency_keys`), so an answer is as
 * durable as the session it is about. A claim is one transaction that first tries to insert
 * the key: of two requests with one key, on one instance or two, one claims it and the other
 * finds it in progress (PostgreSQL makes the second insert wait for the first to commit).
 * Every write goes through `write`, as the sessions' do.
 *
 * @example
 * ```ts
 * const keys = createKyselyIdempotency(transactionPerWrite(db), 'postgres')
 * const outcome = await keys.claim({ owner, key, fingerprint }, times)
 * ```
 */
export function createKyselyIdempotency(
  write: WriteTransaction,
  dialect: Dialect,
): IdempotencyStore {
  let lastSweep = Number.NEGATIVE_INFINITY

  return {
    async claim(request, times) {
      const now = times.now.getTime()
      const expiredBefore = times.expiredBefore.getTime()
      const abandonedBefore = times.abandonedBefore.getTime()
      return write(async (trx): Promise<ClaimOutcome> => {
        if (now - lastSweep >= SWEEP_EVERY_MS) {
          lastSweep = now
          await trx.deleteFrom('idempotency_keys').where('created_at', '<', expiredBefore).execute()
        }
        const claimed = {
          fingerprint: request.fingerprint,
          state: 'in_flight' as const,
          session_id: request.sessionId ?? null,
          status: null,
          headers: null,
          body: null,
          created_at: now,
        }
        const inserted = await trx
          .insertInto('idempotency_keys')
          .values({ owner: request.owner, key: request.key, ...claimed })
          .onConflict((conflict) => conflict.columns(['owner', 'key']).doNothing())
          .returning('key')
          .executeTakeFirst()
        if (inserted) return { kind: 'claimed' }

        const row = await trx
          .selectFrom('idempotency_keys')
          .select(['fingerprint', 'state', 'status', 'headers', 'body', 'created_at'])
          .where('owner', '=', request.owner)
          .where('key', '=', request.key)
          // Another claim of an abandoned key waits here, then finds it claimed.
          .$if(dialect === 'postgres', (query) => query.forUpdate())
          .executeTakeFirst()
        const fresh = row !== undefined && row.created_at >= expiredBefore
        if (fresh && row.fingerprint !== request.fingerprint) return { kind: 'mismatch' }
        if (fresh && row.state === 'done') return { kind: 'replay', answer: toAnswer(row) }
        if (fresh && row.created_at >= abandonedBefore) return { kind: 'in_progress' }
        // Expired, or abandoned by a request that hung or died: the key starts over.
        await trx
          .insertInto('idempotency_keys')
          .values({ owner: request.owner, key: request.key, ...claimed })
          .onConflict((conflict) => conflict.columns(['owner', 'key']).doUpdateSet(claimed))
          .execute()
        return { kind: 'claimed' }
      })
    },

    async complete(owner, key, answer, sessionId) {
      // Stored only while the session it is about still exists: a session deleted meanwhile
      // must not live on in its answers.
      await write((trx) =>
        trx
          .updateTable('idempotency_keys')
          .set({
            state: 'done',
            status: answer.status,
            headers: JSON.stringify(answer.headers),
            body: Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength),
            ...(sessionId !== undefined && { session_id: sessionId }),
          })
          .where('owner', '=', owner)
          .where('key', '=', key)
          .where('state', '=', 'in_flight')
          .where((eb) =>
            sessionId !== undefined
              ? eb.exists(
                  eb
                    .selectFrom('sessions')
                    .select('sessions.id')
                    .where('sessions.id', '=', sessionId),
                )
              : eb.or([
                  eb('idempotency_keys.session_id', 'is', null),
                  eb.exists(
                    eb
                      .selectFrom('sessions')
                      .select('sessions.id')
                      .whereRef('sessions.id', '=', 'idempotency_keys.session_id'),
                  ),
                ]),
          )
          .execute(),
      )
    },

    async release(owner, key) {
      await write((trx) =>
        trx
          .deleteFrom('idempotency_keys')
          .where('owner', '=', owner)
          .where('key', '=', key)
          .where('state', '=', 'in_flight')
          .execute(),
      )
    },

    async releaseInterrupted() {
      const { numDeletedRows } = await write((trx) =>
        trx.deleteFrom('idempotency_keys').where('state', '=', 'in_flight').executeTakeFirst(),
      )
      return Number(numDeletedRows)
    },
  }
}
