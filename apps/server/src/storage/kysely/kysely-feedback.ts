/**
 * Ratings of assistant messages: written by the owner of the session, listed per agent by
 * the `message_feedback_by_agent_time` index, and read with the messages they are about.
 */
import { type Kysely, type Selectable, sql } from 'kysely'
import type {
  FeedbackRecord,
  MessageFeedback,
  Rating,
  SessionStore,
} from '../../domain/session-store.ts'
import type { KyselyIdempotency } from './kysely-idempotency.ts'
import type { Database, MessageFeedbackTable } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

type FeedbackRow = Selectable<MessageFeedbackTable>

function toFeedback(row: Pick<FeedbackRow, 'rating' | 'comment' | 'updated_at'>): MessageFeedback {
  return {
    rating: row.rating,
    ...(row.comment !== null && { comment: row.comment }),
    updatedAt: new Date(Number(row.updated_at)),
  }
}

function toRecord(row: FeedbackRow): FeedbackRecord {
  return {
    sessionId: row.session_id,
    messageId: row.message_id,
    agentId: row.agent_id,
    createdAt: new Date(Number(row.created_at)),
    ...toFeedback(row),
  }
}

/**
 * The ratings of the messages of these sessions (or of these messages), by message id.
 *
 * @example
 * ```ts
 * const ratings = await feedbackOf(db, { sessionIds: ['s1'] })
 * ```
 */
export async function feedbackOf(
  executor: Kysely<Database>,
  of: { sessionIds: readonly string[] } | { messageIds: readonly string[] },
): Promise<Map<string, MessageFeedback>> {
  const ids = 'sessionIds' in of ? of.sessionIds : of.messageIds
  if (ids.length === 0) return new Map()
  const rows = await executor
    .selectFrom('message_feedback')
    .select(['message_id', 'rating', 'comment', 'updated_at'])
    .where('sessionIds' in of ? 'session_id' : 'message_id', 'in', ids)
    .execute()
  return new Map(rows.map((row) => [row.message_id, toFeedback(row)]))
}

/** The store's methods for ratings, over its database and its way of committing writes. */
export function feedbackMethods(
  db: Kysely<Database>,
  write: WriteTransaction,
  keys: KyselyIdempotency,
): Pick<SessionStore, 'rateMessage' | 'deleteFeedback' | 'getFeedback' | 'listFeedback'> {
  return {
    async rateMessage({ owner, sessionId, messageId, rating, comment, now, key }) {
      return write(async (trx) => {
        const message = await trx
          .selectFrom('messages')
          .innerJoin('sessions', 'sessions.id', 'messages.session_id')
          .select(['messages.role', 'sessions.agent_id'])
          .where('messages.id', '=', messageId)
          .where('messages.session_id', '=', sessionId)
          .where('sessions.owner', '=', owner)
          .executeTakeFirst()
        if (!message) return 'not_found' as const
        if (message.role !== 'assistant') return 'not_assistant' as const
        const at = now.getTime()
        const values = { rating, comment: comment ?? null, updated_at: at }
        const row = await trx
          .insertInto('message_feedback')
          .values({
            message_id: messageId,
            session_id: sessionId,
            owner,
            agent_id: message.agent_id,
            created_at: at,
            ...values,
          })
          .onConflict((conflict) => conflict.column('message_id').doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow()
        if (key) await keys.commitIn(trx, key)
        return toRecord(row)
      })
    },

    async deleteFeedback(owner, sessionId, messageId, key) {
      return write(async (trx) => {
        const { numDeletedRows } = await trx
          .deleteFrom('message_feedback')
          .where('message_id', '=', messageId)
          .where('session_id', '=', sessionId)
          .where('owner', '=', owner)
          .executeTakeFirst()
        if (numDeletedRows === 0n) return 'not_found' as const
        if (key) await keys.commitIn(trx, key)
        return 'deleted' as const
      })
    },

    async getFeedback(owner, sessionId, messageId) {
      const row = await db
        .selectFrom('message_feedback')
        .selectAll()
        .where('message_id', '=', messageId)
        .where('session_id', '=', sessionId)
        .where('owner', '=', owner)
        .executeTakeFirst()
      return row && toRecord(row)
    },

    async listFeedback({ owner, agentId, from, to, rating, limit, after }) {
      const inRange = db
        .selectFrom('message_feedback')
        .where('owner', '=', owner)
        .where('agent_id', '=', agentId)
        .where('updated_at', '>=', from.getTime())
        .where('updated_at', '<', to.getTime())
      const [rows, counts] = await Promise.all([
        inRange
          .selectAll()
          .$if(rating !== undefined, (query) => query.where('rating', '=', rating as Rating))
          .$if(after !== undefined, (query) =>
            query.where((eb) =>
              eb(
                eb.refTuple('updated_at', 'message_id'),
                '<',
                eb.tuple(after?.updatedAt.getTime() ?? 0, after?.id ?? ''),
              ),
            ),
          )
          .orderBy('updated_at', 'desc')
          .orderBy('message_id', 'desc')
          .limit(limit + 1)
          .execute(),
        inRange
          .select(['rating', sql<number>`count(*)`.as('count')])
          .groupBy('rating')
          .execute(),
      ])
      const entries = rows.slice(0, limit).map(toRecord)
      const totals: Record<Rating, number> = { up: 0, down: 0 }
      for (const row of counts) totals[row.rating] = Number(row.count)
      const last = entries.at(-1)
      return {
        entries,
        totals,
        ...(rows.length > limit &&
          last && { next: { updatedAt: last.updatedAt, id: last.messageId } }),
      }
    },
  }
}
