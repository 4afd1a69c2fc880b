/**
 * The webhooks outbox over Kysely, for SQLite and PostgreSQL: `enqueue` runs inside the
 * store's own write transactions (the event and its write commit together); the rest is the
 * dispatcher's `WebhookOutbox`.
 */
import type { Kysely, Selectable } from 'kysely'
import { v7 as uuidv7 } from 'uuid'
import type {
  DeliveryCursor,
  WebhookAttempt,
  WebhookDelivery,
  WebhookOutbox,
  WebhookPayload,
} from '../../domain/webhook-outbox.ts'
import type { WebhookEvent, WebhookTargets } from '../../domain/webhooks.ts'
import type { Database, Dialect, WebhookAttemptsTable, WebhookDeliveriesTable } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

/** What an attempt whose instance stopped before recording it is marked with. */
const ABANDONED = 'No outcome recorded: the instance sending it stopped or lost its claim'

export interface KyselyWebhooks extends WebhookOutbox {
  /**
   * Writes the events, one delivery per endpoint that wants each, on `trx` (the transaction of
   * the write they tell of); returns whether any was written, for `enqueued` after the commit.
   */
  enqueue(trx: Kysely<Database>, events: readonly WebhookEvent[], now: number): Promise<boolean>
  /** Tells the listeners that deliveries were committed. */
  enqueued(): void
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    attempt: Number(row.attempt),
    startedAt: new Date(Number(row.started_at)),
    ...(row.ended_at !== null && { endedAt: new Date(Number(row.ended_at)) }),
    ...(row.status_code !== null && { statusCode: Number(row.status_code) }),
    ...(row.error !== null && { error: row.error }),
  }
}

function toDelivery(
  row: Selectable<WebhookDeliveriesTable>,
  attempts: WebhookAttempt[],
): WebhookDelivery {
  return {
    id: row.id,
    owner: row.owner,
    endpointId: row.endpoint_id,
    sessionId: row.session_id,
    payload: JSON.parse(row.payload) as WebhookPayload,
    createdAt: new Date(Number(row.created_at)),
    state: row.state,
    ...(row.state === 'pending' &&
      row.next_attempt_at !== null && { nextAttemptAt: new Date(Number(row.next_attempt_at)) }),
    ...(row.delivered_at !== null && { deliveredAt: new Date(Number(row.delivered_at)) }),
    attempts,
  }
}

/**
 * The outbox in the store's database; `targets` says which endpoints want which events.
 *
 * @example
 * ```ts
 * const webhooks = createKyselyWebhooks(db, write, 'sqlite', targets)
 * await write((trx) => webhooks.enqueue(trx, [event], Date.now()))
 * ```
 */
export function createKyselyWebhooks(
  db: Kysely<Database>,
  write: WriteTransaction,
  dialect: Dialect,
  targets: WebhookTargets,
): KyselyWebhooks {
  const listeners: Array<() => void> = []
  return {
    async enqueue(trx, events, now) {
      const rows = events.flatMap((event) =>
        targets.endpointsFor(event.owner, event.payload.type).map((endpointId) => ({
          id: `msg_${uuidv7().replaceAll('-', '')}`,
          owner: event.owner,
          endpoint_id: endpointId,
          session_id: event.sessionId,
          event_type: event.payload.type,
          payload: JSON.stringify(event.payload),
          created_at: now,
          state: 'pending' as const,
          next_attempt_at: now,
        })),
      )
      if (rows.length === 0) return false
      await trx.insertInto('webhook_deliveries').values(rows).execute()
      return true
    },

    enqueued() {
      for (const listener of listeners) listener()
    },

    onEnqueued(listener) {
      listeners.push(listener)
    },

    async claimDue({ now, limit, instance, claimUntil }) {
      if (limit <= 0) return []
      const at = now.getTime()
      const rows = await write(async (trx) => {
        // Of instances claiming at once, each row goes to one: PostgreSQL skips the rows
        // another transaction has locked; SQLite has one writer at a time anyway.
        const due = trx
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('state', '=', 'pending')
          .where('next_attempt_at', '<=', at)
          .orderBy('next_attempt_at')
          .limit(limit)
          .$if(dialect === 'postgres', (query) => query.forUpdate().skipLocked())
        const claimed = await trx
          .updateTable('webhook_deliveries')
          .set((eb) => ({
            attempts: eb('attempts', '+', 1),
            claimed_by: instance,
            next_attempt_at: claimUntil.getTime(),
          }))
          .where('id', 'in', due)
          .returning(['id', 'endpoint_id', 'payload', 'created_at', 'attempts'])
          .execute()
        if (claimed.length === 0) return claimed
        const ids = claimed.map((row) => row.id)
        // An earlier attempt still open was cut off (its claim ran out): say so.
        await trx
          .updateTable('webhook_attempts')
          .set({ ended_at: at, error: ABANDONED })
          .where('delivery_id', 'in', ids)
          .where('ended_at', 'is', null)
          .execute()
        await trx
          .insertInto('webhook_attempts')
          .values(
            claimed.map((row) => ({
              delivery_id: row.id,
              attempt: Number(row.attempts),
              started_at: at,
            })),
          )
          .execute()
        return claimed
      })
      return rows.map((row) => ({
        id: row.id,
        endpointId: row.endpoint_id,
        body: row.payload,
        createdAt: new Date(Number(row.created_at)),
        attempt: Number(row.attempts),
      }))
    },

    async recordAttempt(delivery, outcome) {
      const endedAt = outcome.endedAt.getTime()
      await write(async (trx) => {
        await trx
          .updateTable('webhook_attempts')
          .set({
            ended_at: endedAt,
            status_code: outcome.statusCode ?? null,
            error: 'error' in outcome ? (outcome.error ?? null) : null,
          })
          .where('delivery_id', '=', delivery.id)
          .where('attempt', '=', delivery.attempt)
          .where('ended_at', 'is', null)
          .execute()
        // Only the latest attempt decides: a claim that ran out was taken over since.
        await trx
          .updateTable('webhook_deliveries')
          .set({
            state: outcome.state,
            claimed_by: null,
            next_attempt_at: outcome.state === 'pending' ? outcome.nextAttemptAt.getTime() : null,
            ...(outcome.state === 'delivered' && { delivered_at: endedAt }),
            ...(outcome.state !== 'pending' && { finished_at: endedAt }),
          })
          .where('id', '=', delivery.id)
          .where('attempts', '=', delivery.attempt)
          .where('state', '=', 'pending')
          .execute()
      })
    },

    async pruneFinished({ before, limit }) {
      if (limit <= 0) return 0
      return write(async (trx) => {
        const finished = trx
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('finished_at', '<', before.getTime())
          .orderBy('finished_at')
          .limit(limit)
          .$if(dialect === 'postgres', (query) => query.forUpdate().skipLocked())
        // Their attempts go with them (the foreign key's cascade), in the same transaction.
        const { numDeletedRows } = await trx
          .deleteFrom('webhook_deliveries')
          .where('id', 'in', finished)
          .executeTakeFirst()
        return Number(numDeletedRows)
      })
    },

    async releaseClaims(now) {
      const { numUpdatedRows } = await write((trx) =>
        trx
          .updateTable('webhook_deliveries')
          .set({ claimed_by: null, next_attempt_at: now.getTime() })
          .where('state', '=', 'pending')
          .where('claimed_by', 'is not', null)
          .executeTakeFirst(),
      )
      return Number(numUpdatedRows)
    },

    async listDeliveries({ owner, limit, after }) {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('owner', '=', owner)
        .$if(after !== undefined, (query) =>
          query.where((eb) =>
            eb(
              eb.refTuple('created_at', 'id'),
              '<',
              eb.tuple(after?.createdAt.getTime() ?? 0, after?.id ?? ''),
            ),
          ),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute()
      const page = rows.slice(0, limit)
      const attemptRows =
        page.length === 0
          ? []
          : await db
              .selectFrom('webhook_attempts')
              .selectAll()
              .where(
                'delivery_id',
                'in',
                page.map((row) => row.id),
              )
              .orderBy('delivery_id')
              .orderBy('attempt')
              .execute()
      const attempts = new Map<string, WebhookAttempt[]>()
      for (const row of attemptRows) {
        const list = attempts.get(row.delivery_id) ?? []
        list.push(toAttempt(row))
        attempts.set(row.delivery_id, list)
      }
      const deliveries = page.map((row) => toDelivery(row, attempts.get(row.id) ?? []))
      const last = deliveries.at(-1)
      const next: DeliveryCursor | undefined =
        rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : undefined
      return { deliveries, ...(next && { next }) }
    },
  }
}
