import type {
  Agent as AgentProfile,
  FeedbackEntry,
  Message,
  MessageFeedback,
  SearchHit,
  Session,
  SessionEvent,
  SessionSummary,
  TokenUsage,
  UsageReport,
  WebhookDelivery,
} from '@uxmate/contract'
import type { AgentRegistry } from '../domain/agent-registry.ts'
import type { RunEvent } from '../domain/run-events.ts'
import type { SearchHit as SearchHitRecord } from '../domain/session-search.ts'
import type {
  AgentJson,
  FeedbackRecord,
  MessageFeedback as MessageFeedbackRecord,
  MessageRecord,
  SessionActivity,
  SessionRecord,
  SessionSummaryRecord,
  TokenUsage as UsageRecord,
} from '../domain/session-store.ts'
import type { UsageReport as UsageReportRecord, UsageTotals } from '../domain/usage-report.ts'
import type { WebhookDelivery as WebhookDeliveryRecord } from '../domain/webhook-outbox.ts'
import { isoTime } from './iso-time.ts'

function toUsage(usage: UsageRecord): TokenUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cached_tokens: usage.cachedTokens,
    estimated: usage.estimated,
  }
}

/** The wire form of a stored message. Typed by the contract: a renamed field does not compile. */
export function toMessage(sessionId: string, message: MessageRecord): Message {
  const wire: Message = {
    id: message.id,
    role: message.role,
    text: message.text,
    created_at: isoTime(message.createdAt),
    parent_id: message.parentId,
  }
  if (message.files.length > 0) {
    wire.files = message.files.map((file) => ({
      id: file.id,
      name: file.name,
      content_type: file.contentType,
      size: file.size,
      sha256: file.sha256,
      url: `/sessions/${sessionId}/files/${file.id}`,
    }))
  }
  if (message.usage) wire.usage = toUsage(message.usage)
  if (message.feedback) wire.feedback = toMessageFeedback(message.feedback)
  return wire
}

function toMessageFeedback(feedback: MessageFeedbackRecord): MessageFeedback {
  return {
    rating: feedback.rating,
    ...(feedback.comment !== undefined && { comment: feedback.comment }),
    updated_at: feedback.updatedAt.toISOString(),
  }
}

/** A rating with the message, session and agent it is about. */
export function toFeedbackEntry(entry: FeedbackRecord): FeedbackEntry {
  return {
    session_id: entry.sessionId,
    message_id: entry.messageId,
    agent_id: entry.agentId,
    created_at: entry.createdAt.toISOString(),
    ...toMessageFeedback(entry),
  }
}

export function toSession(session: SessionRecord): Session {
  // One object, its fields in the wire's order, no spread copies: measured (issue 21), the
  // spreads of organise and activity fields were a few % of an uncached list page.
  const wire: Session = {
    id: session.id,
    agent_id: session.agentId,
    name: session.name,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    status: session.status,
    routine_id: session.routineId,
    messages: session.messages.map((message) => toMessage(session.id, message)),
  }
  if (session.error) wire.error = session.error
  if (session.usage) wire.usage = toUsage(session.usage)
  wire.pinned = session.pinned
  wire.archived = session.archived
  wire.tags = session.tags
  wire.metadata = session.metadata
  if (session.queuedTurns)
    wire.queued_turns = session.queuedTurns.map((turn) => ({
      id: turn.id,
      kind: turn.kind,
      ...(turn.text !== null && { text: turn.text }),
      ...(turn.messageId !== null && { message_id: turn.messageId }),
      created_at: turn.createdAt.toISOString(),
    }))
  if (session.activity) addActivity(wire, session.activity)
  return wire
}

/** What a session holds, for a summary or a session listed without its messages. */
function addActivity(
  wire: Pick<SessionSummary, 'message_count' | 'last_message_at' | 'last_message_preview'>,
  activity: SessionActivity,
): void {
  const { lastMessage } = activity
  wire.message_count = activity.messageCount
  if (lastMessage) {
    wire.last_message_at = lastMessage.createdAt.toISOString()
    wire.last_message_preview = lastMessage.preview
  }
}

const toTotals = (totals: UsageTotals) => ({
  agent_id: totals.agentId,
  runs: totals.calls,
  ...toUsage(totals.usage),
})

export function toUsageReport(report: UsageReportRecord): UsageReport {
  return {
    from: report.from.toISOString(),
    to: report.to.toISOString(),
    tz: report.timeZone,
    agents: report.agents.map(toTotals),
    days: report.days.map((daily) => ({ day: daily.day, ...toTotals(daily) })),
  }
}

/** An agent that sessions still name but the configuration no longer has. */
function unknownAgent(id: string): AgentProfile {
  return {
    id,
    name: id,
    assistant_id: id,
    assistant_nickname: id,
    welcome_message: '',
    user_initial_message: '',
    icon: '',
    visibility_requirements: [],
  }
}

/**
 * How a summary's `agent` is written as JSON text, for the store's JSON reads (`JsonReads`):
 * as `toSummary` has it, each configured profile stringified once.
 *
 * @example
 * ```ts
 * agentJsonOf(agents)('echo') // '{"id":"echo","name":"Echo",…}'
 * ```
 */
export function agentJsonOf(agents: AgentRegistry): AgentJson {
  // Profiles are the configuration's, fixed for the life of the registry.
  const written = new WeakMap<AgentProfile, string>()
  return (id) => {
    const profile = agents.get(id)?.profile
    if (!profile) return JSON.stringify(unknownAgent(id))
    let json = written.get(profile)
    if (json === undefined) {
      json = JSON.stringify(profile)
      written.set(profile, json)
    }
    return json
  }
}

export function toSummary(session: SessionSummaryRecord, agents: AgentRegistry): SessionSummary {
  // As toSession: one object in the wire's order (measured, issue 21).
  const wire: SessionSummary = {
    id: session.id,
    agent: agents.get(session.agentId)?.profile ?? unknownAgent(session.agentId),
    updated_at: session.updatedAt.toISOString(),
    name: session.name,
    pinned: session.pinned,
    archived: session.archived,
    tags: session.tags,
    metadata: session.metadata,
    message_count: 0,
  }
  addActivity(wire, session.activity)
  return wire
}

/** The wire form of a search hit: a message's, or (without `message_id`) a session name's. */
export function toSearchHit(hit: SearchHitRecord, agents: AgentRegistry): SearchHit {
  return {
    session: toSummary(hit.session, agents),
    ...(hit.message && {
      message_id: hit.message.id,
      role: hit.message.role,
      created_at: hit.message.createdAt.toISOString(),
    }),
    snippet: hit.snippet,
  }
}

/** The wire form of a run event: `{ event, id, data }`, typed by the contract's `SessionEvent`. */
export function toSessionEvent(sessionId: string, event: RunEvent): SessionEvent {
  switch (event.type) {
    case 'status':
      return { event: 'status', id: event.id, data: { status: event.status } }
    case 'message.delta':
      return { event: 'message.delta', id: event.id, data: { text: event.text } }
    case 'message.completed':
      return {
        event: 'message.completed',
        id: event.id,
        data: { message: toMessage(sessionId, event.message) },
      }
    case 'error':
      return { event: 'error', id: event.id, data: { ...event.error } }
    case 'branch':
      return { event: 'branch', id: event.id, data: { leaf_id: event.leafId } }
    case 'queued_turn.started':
      return { event: 'queued_turn.started', id: event.id, data: { turn_id: event.turnId } }
  }
}

/** A webhook delivery as `list_webhook_deliveries` shows it. */
export function toWebhookDelivery(delivery: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: delivery.id,
    endpoint_id: delivery.endpointId,
    event_type: delivery.payload.type,
    session_id: delivery.sessionId,
    created_at: delivery.createdAt.toISOString(),
    state: delivery.state,
    ...(delivery.nextAttemptAt && { next_attempt_at: delivery.nextAttemptAt.toISOString() }),
    ...(delivery.deliveredAt && { delivered_at: delivery.deliveredAt.toISOString() }),
    attempts: delivery.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      started_at: attempt.startedAt.toISOString(),
      ...(attempt.endedAt && { ended_at: attempt.endedAt.toISOString() }),
      ...(attempt.statusCode !== undefined && { status_code: attempt.statusCode }),
      ...(attempt.error !== undefined && { error: attempt.error }),
    })),
    payload: delivery.payload,
  }
}
