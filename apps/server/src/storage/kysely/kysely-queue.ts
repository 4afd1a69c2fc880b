/**
 * Turns queued behind a session's run (`on_busy=enqueue`): stored oldest first in
 * `queued_turns`, counted on the session's row (`queued_count`), so that the queue's bound, the
 * check that the session is still busy and the lock that orders the queue against the end of
 * the run are one conditional update of that row, on SQLite as on PostgreSQL.
 */
import type { Kysely, Selectable } from 'kysely'
import type { QueuedTurnRecord, SessionStore } from '../../domain/session-store.ts'
import type { KyselyIdempotency } from './kysely-idempotency.ts'
import type { Database, QueuedTurnsTable } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

const toQueuedTurn = (row: Selectable<QueuedTurnsTable>): QueuedTurnRecord => ({
  id: row.id,
  kind: row.kind,
  text: row.text,
  messageId: row.message_id,
  createdAt: new Date(Number(row.created_at)),
})

/**
 * The queued turns of these sessions, oldest first, by session id: only those whose row counts
 * some are asked for.
 *
 * @example
 * ```ts
 * const queued = await queuedTurnsOf(db, rows.filter((row) => row.queued_count > 0).map((row) => row.id))
 * ```
 */
export async function queuedTurnsOf(
  executor: Kysely<Database>,
  sessionIds: string[],
): Promise<Map<string, QueuedTurnRecord[]>> {
  const bySession = new Map<string, QueuedTurnRecord[]>()
  if (sessionIds.length === 0) return bySession
  const rows = await executor
    .selectFrom('queued_turns')
    .selectAll()
    .where('session_id', 'in', sessionIds)
    .orderBy('session_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  for (const row of rows) {
    const list = bySession.get(row.session_id) ?? []
    list.push(toQueuedTurn(row))
    bySession.set(row.session_id, list)
  }
  return bySession
}

/**
 * Takes the queued turn `turnId` out of the session's queue in `trx`; false when it is not
 * queued any more. The session's count goes down with it.
 */
export async function dequeueTurn(
  trx: Kysely<Database>,
  sessionId: string,
  turnId: string,
): Promise<boolean> {
  const { numDeletedRows } = await trx
    .deleteFrom('queued_turns')
    .where('id', '=', turnId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst()
  if (numDeletedRows === 0n) return false
  await trx
    .updateTable('sessions')
    .set((eb) => ({ queued_count: eb('queued_count', '-', 1) }))
    .where('id', '=', sessionId)
    .execute()
  return true
}

/** The queue's methods of the store. */
export function queueMethods(
  db: Kysely<Database>,
  write: WriteTransaction,
  keys: KyselyIdempotency,
): Pick<SessionStore, 'enqueueTurn' | 'cancelQueuedTurn' | 'nextQueuedTurn' | 'idleQueues'> {
  return {
    async enqueueTurn({ owner, sessionId, turn, maxQueued, key }) {
      return write(async (trx) => {
        // One statement: busy, room in the queue, and (PostgreSQL) the row held until the
        // commit, so the run's end, which writes the same row, comes before or after.
        const counted = await trx
          .updateTable('sessions')
          .set((eb) => ({ queued_count: eb('queued_count', '+', 1) }))
          .where('id', '=', sessionId)
          .where('owner', '=', owner)
          .where('status', '=', 'Running')
          .where('queued_count', '<', maxQueued)
          .returning('id')
          .executeTakeFirst()
        if (!counted) {
          const row = await trx
            .selectFrom('sessions')
            .select(['status', 'queued_count'])
            .where('id', '=', sessionId)
            .where('owner', '=', owner)
            .executeTakeFirst()
          if (!row) return 'not_found' as const
          return row.status === 'Running' ? ('queue_full' as const) : ('not_busy' as const)
        }
        await trx
          .insertInto('queued_turns')
          .values({
            id: turn.id,
            session_id: sessionId,
            owner,
            kind: turn.kind,
            message_id: turn.messageId,
            text: turn.text,
            created_at: turn.createdAt.getTime(),
          })
          .execute()
        if (key) await keys.commitIn(trx, key)
        return 'queued' as const
      })
    },

    async cancelQueuedTurn(owner, sessionId, turnId, key) {
      return write(async (trx) => {
        const mine = await trx
          .selectFrom('queued_turns')
          .select('id')
          .where('id', '=', turnId)
          .where('session_id', '=', sessionId)
          .where('owner', '=', owner)
          .executeTakeFirst()
        if (!mine || !(await dequeueTurn(trx, sessionId, turnId))) return 'not_found' as const
        if (key) await keys.commitIn(trx, key)
        return 'deleted' as const
      })
    },

    async nextQueuedTurn(sessionId) {
      const row = await db
        .selectFrom('queued_turns')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst()
      return row && { ...toQueuedTurn(row), owner: row.owner }
    },

    async idleQueues() {
      const rows = await db
        .selectFrom('sessions')
        .select('id')
        .where('queued_count', '>', 0)
        .where('status', '!=', 'Running')
        .execute()
      return rows.map((row) => row.id)
    },
  }
}
