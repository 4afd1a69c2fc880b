/**
 * Webhooks: what happens to sessions and runs, told to the owners' own systems. The store
 * writes each event into its outbox in the same transaction as the write it tells of (so an
 * event is never lost nor told of a write that did not happen); the dispatcher
 * (`webhook-dispatcher.ts`) delivers it later, through a `WebhookSender` that lives outside the
 * domain. The payloads are documented in openapi.yaml (`webhooks:`).
 */

import type { SessionError } from '@uxmate/contract'
import { decodeCursor, encodeCursor } from './page-cursor.ts'
import type { SessionHeader } from './session-store.ts'
import type {
  WebhookBranch,
  WebhookDelivery,
  WebhookEventType,
  WebhookForkSource,
  WebhookOutbox,
  WebhookPayload,
  WebhookRun,
} from './webhook-outbox.ts'

/** An event on its way into the outbox, with the session it tells of and its owner. */
export interface WebhookEvent {
  owner: string
  sessionId: string
  payload: WebhookPayload
}

/**
 * The payload of an event about `session` (its state after the write), at `now`.
 *
 * @example
 * ```ts
 * const payload = webhookPayload('session.created', header, new Date())
 * payload.data.session.name // the session's name
 * ```
 */
export function webhookPayload(
  type: WebhookEventType,
  session: SessionHeader,
  now: Date,
  extra: {
    run?: WebhookRun
    renamedBy?: 'owner' | 'agent'
    forkedFrom?: WebhookForkSource
    branch?: WebhookBranch
  } = {},
): WebhookPayload {
  return {
    type,
    timestamp: now.toISOString(),
    data: {
      session: {
        id: session.id,
        agent_id: session.agentId,
        name: session.name,
        status: session.status,
        error: session.error,
        created_at: session.createdAt.toISOString(),
        updated_at: session.updatedAt.toISOString(),
      },
      ...(extra.run && { run: extra.run }),
      ...(extra.renamedBy && { renamed_by: extra.renamedBy }),
      ...(extra.forkedFrom && { forked_from: extra.forkedFrom }),
      ...(extra.branch && { branch: extra.branch }),
    },
  }
}

/** Which event a run's end is: completed, cancelled (by the owner) or failed (anything else). */
export function runEventType(error: SessionError | null): WebhookEventType {
  if (error === null) return 'run.completed'
  return error.code === 'cancelled' ? 'run.cancelled' : 'run.failed'
}

/** Which of the owners' endpoints want an event: their ids, none when no one does. */
export interface WebhookTargets {
  endpointsFor(owner: string, type: WebhookEventType): readonly string[]
}

/** Nobody wants anything: no outbox rows are written. */
export const noWebhookTargets: WebhookTargets = { endpointsFor: () => [] }

/**
 * A page of the owner's deliveries, newest first, after `cursor` (the `nextCursor` of the page
 * before); `invalid_cursor` for a cursor this server did not make.
 *
 * @example
 * ```ts
 * const page = await listDeliveries(store.webhooks, { owner: 'team-a', limit: 20 })
 * ```
 */
export async function listDeliveries(
  outbox: WebhookOutbox,
  query: { owner: string; limit: number; cursor?: string },
): Promise<{ deliveries: WebhookDelivery[]; nextCursor?: string } | 'invalid_cursor'> {
  // The same opaque shape as the sessions' cursors: a time and an id.
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  if (query.cursor !== undefined && !after) return 'invalid_cursor'
  const page = await outbox.listDeliveries({
    owner: query.owner,
    limit: query.limit,
    ...(after && { after: { createdAt: after.updatedAt, id: after.id } }),
  })
  return {
    deliveries: page.deliveries,
    ...(page.next && {
      nextCursor: encodeCursor({ updatedAt: page.next.createdAt, id: page.next.id }),
    }),
  }
}
