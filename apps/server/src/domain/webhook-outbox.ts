/**
 * The webhooks' records and ports: the events and their payloads (documented in openapi.yaml,
 * `webhooks:`), the outbox the store keeps them in, and the sender that delivers them, which
 * lives outside the domain (`src/webhooks/`).
 */
import type { SessionError, SessionStatus } from '@uxmate/contract'

/** The events an endpoint may subscribe to, in the order the README lists them. */
export const WEBHOOK_EVENT_TYPES = [
  'run.completed',
  'run.failed',
  'run.cancelled',
  'session.created',
  'session.deleted',
  'session.renamed',
  'session.forked',
  'session.branch_changed',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** The session as a webhook shows it: its summary, without messages. */
export interface WebhookSession {
  id: string
  agent_id: string
  name: string
  status: SessionStatus
  error: SessionError | null
  created_at: string
  updated_at: string
}

/** The run an event of `run.*` tells of. */
export interface WebhookRun {
  id: string
  status: Extract<SessionStatus, 'Ready' | 'Flushed'>
  error: SessionError | null
  /** The reply the run stored (a cancelled run's partial one); null when there is none. */
  reply_message_id: string | null
}

/** The body of a webhook request (Standard Webhooks' `type`, `timestamp`, `data`). */
export interface WebhookPayload {
  type: WebhookEventType
  /** When the event happened (ISO 8601). */
  timestamp: string
  data: {
    session: WebhookSession
    run?: WebhookRun
    /** `session.renamed`: who named it, the owner (`rename_session`) or the agent (its title). */
    renamed_by?: 'owner' | 'agent'
    /** `session.forked`: the session (`session` is the new fork) and message it was forked at. */
    forked_from?: WebhookForkSource
    /** `session.branch_changed`: the branch the session shows now. */
    branch?: WebhookBranch
  }
}

/** Where a fork came from: the source session and the message its copy goes down to. */
export interface WebhookForkSource {
  session_id: string
  message_id: string
}

/** The branch a session shows after a `session.branch_changed`, and what moved it there. */
export interface WebhookBranch {
  /**
   * The active leaf, the last message of the branch: the edited message, or the message whose
   * reply is regenerated (until the run's reply follows it), or a switch's leaf.
   */
  leaf_id: string
  changed_by: 'regenerate' | 'edit' | 'switch'
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed'

/** One try at delivering: when, and what came back (a status, or why there was none). */
export interface WebhookAttempt {
  attempt: number
  startedAt: Date
  /** Unset while the attempt is under way. */
  endedAt?: Date
  statusCode?: number
  error?: string
}

/** An event on its way to one endpoint, and every attempt at delivering it. */
export interface WebhookDelivery {
  /** The `webhook-id`: the same on every attempt, for receivers to drop duplicates. */
  id: string
  owner: string
  endpointId: string
  sessionId: string
  payload: WebhookPayload
  createdAt: Date
  state: WebhookDeliveryState
  /** While pending: when the next attempt is due (or the current one's claim runs out). */
  nextAttemptAt?: Date
  deliveredAt?: Date
  attempts: WebhookAttempt[]
}

/** A delivery claimed for an attempt by one instance: no other instance sends it meanwhile. */
export interface ClaimedDelivery {
  id: string
  endpointId: string
  /** The payload exactly as stored: the bytes that are signed and sent. */
  body: string
  createdAt: Date
  /** The number of this attempt, from 1. */
  attempt: number
}

/** Where a page of deliveries ends, newest first. */
export interface DeliveryCursor {
  createdAt: Date
  id: string
}

/** How an attempt ended, and what to do with the delivery. */
export type AttemptOutcome =
  | { state: 'delivered'; statusCode: number }
  | { state: 'pending'; nextAttemptAt: Date; statusCode?: number; error?: string }
  | { state: 'failed'; statusCode?: number; error?: string }

/** The outbox, in the sessions' database. */
export interface WebhookOutbox {
  /**
   * Claims up to `limit` deliveries due at `now` for `instance` until `claimUntil`, starting an
   * attempt of each: on PostgreSQL, rows another instance is claiming are skipped (`FOR UPDATE
   * SKIP LOCKED`), so each goes to one instance. A claim that runs out (its instance died) makes
   * the delivery due again, its attempt recorded as abandoned.
   */
  claimDue(query: {
    now: Date
    limit: number
    instance: string
    claimUntil: Date
  }): Promise<ClaimedDelivery[]>
  /** Records how an attempt ended, unless its claim ran out and another attempt began since. */
  recordAttempt(
    delivery: ClaimedDelivery,
    outcome: AttemptOutcome & { endedAt: Date },
  ): Promise<void>
  /**
   * Deletes up to `limit` deliveries that finished (`delivered` or `failed`) before `before`,
   * with their attempts, in one short write; resolves with how many went. Never a pending one.
   * On PostgreSQL, rows another instance is pruning at once are skipped, not waited for.
   */
  pruneFinished(query: { before: Date; limit: number }): Promise<number>
  /** Frees every claim (one process owns a SQLite store: at start, no attempt is under way). */
  releaseClaims(now: Date): Promise<number>
  /** A page of the owner's deliveries, newest first, with their attempts. */
  listDeliveries(query: {
    owner: string
    limit: number
    after?: DeliveryCursor
  }): Promise<{ deliveries: WebhookDelivery[]; next?: DeliveryCursor }>
  /** Calls `listener` after each write that put deliveries into the outbox has committed. */
  onEnqueued(listener: () => void): void
}

/** A signed request to an endpoint, and how it went. */
export interface WebhookSender {
  /**
   * Sends `body` to the endpoint with the Standard Webhooks headers; never throws. `error`
   * when no answer came (refused address, timeout, connection) or the endpoint is unknown.
   */
  send(request: {
    endpointId: string
    id: string
    body: string
    timestamp: Date
  }): Promise<SendResult>
}

/** What came of a request: a status, or why there was none (`permanent`: never try again). */
export interface SendResult {
  statusCode?: number
  error?: string
  permanent?: boolean
}
