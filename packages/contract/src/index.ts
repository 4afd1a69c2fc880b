/**
 * The UXMate Sessions API contract: types generated from openapi.yaml, and short names for the
 * ones every caller uses.
 *
 * @example
 * ```ts
 * import type { Session, paths } from '@uxmate/contract'
 * const ready = (session: Session) => session.status === 'Ready'
 * ```
 */
import type { components, operations } from './generated/schema.ts'

export type { components, operations, paths, webhooks } from './generated/schema.ts'

type Schemas = components['schemas']

export type Session = Schemas['Session']
export type SessionStatus = Schemas['SessionStatus']
export type SessionError = Schemas['SessionError']
export type SessionErrorCode = Schemas['SessionErrorCode']
export type SessionSummary = Schemas['SessionSummary']
export type Message = Schemas['Message']
export type MessageRole = Schemas['MessageRole']
export type FileMetadata = Schemas['FileMetadata']
export type Agent = Schemas['Agent']
/** The body of a webhook request (see the Webhooks tag). */
export type WebhookEvent = Schemas['WebhookEvent']
export type WebhookEventType = Schemas['WebhookEventType']
export type WebhookDelivery = Schemas['WebhookDelivery']
export type GetAgentsResponse = Schemas['GetAgentsResponse']
export type RenameSessionRequest = Schemas['RenameSessionRequest']
export type SessionMetadata = Schemas['SessionMetadata']
export type Rating = Schemas['Rating']
export type RateMessageRequest = Schemas['RateMessageRequest']
export type MessageFeedback = Schemas['MessageFeedback']
export type FeedbackEntry = Schemas['FeedbackEntry']
export type AgentFeedbackPage = Schemas['AgentFeedbackPage']
/** One Server-Sent Event of `get_session_events`, as `{ event, id, data }`. */
export type SessionEvent = Schemas['SessionEvent']
export type SessionStatusEvent = Schemas['SessionStatusEvent']
export type MessageDeltaEvent = Schemas['MessageDeltaEvent']
export type BranchEvent = Schemas['BranchEvent']
export type MessageCompletedEvent = Schemas['MessageCompletedEvent']
export type RunErrorEvent = Schemas['RunErrorEvent']
export type GetSessionsResponse = Schemas['GetSessionsResponse']
export type GetSessionMessagesResponse = Schemas['GetSessionMessagesResponse']
export type GetSessionTreeResponse = Schemas['GetSessionTreeResponse']
export type TokenUsage = Schemas['TokenUsage']
export type UsageReport = Schemas['UsageReport']
export type UiChatRequest = Schemas['UiChatRequest']
export type UiChatMessagesResponse = Schemas['UiChatMessagesResponse']
export type GroupedSessionsResponse = Schemas['GroupedSessionsResponse']
export type SearchHit = Schemas['SearchHit']
export type SearchSessionsResponse = Schemas['SearchSessionsResponse']
export type UpdateSessionFromTextRequest = Schemas['UpdateSessionFromTextRequest']
export type CreateSessionFromTextBody = Schemas['Body_create_session_from_text']
export type HTTPValidationError = Schemas['HTTPValidationError']
export type ValidationError = Schemas['ValidationError']
export type ErrorResponse = Schemas['ErrorResponse']
export type SessionBusyResponse = Schemas['SessionBusyResponse']
export type BusyPolicy = Schemas['BusyPolicy']
export type HealthResponse = Schemas['HealthResponse']
export type ReadinessResponse = Schemas['ReadinessResponse']

/** Every operationId in openapi.yaml. */
export type OperationId = keyof operations
