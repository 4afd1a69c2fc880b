/**
 * `@uxmate/client`: a typed client of the UXMate Sessions API, on openapi-fetch.
 *
 * @example
 * ```ts
 * import { createUxmateClient } from '@uxmate/client'
 *
 * const client = createUxmateClient({ baseUrl: 'http://127.0.0.1:8000' })
 * const session = await client.sessions.createSessionFromText({ agent_id: 'echo', text_prompt: 'Hi' })
 * ```
 */
export type {
  Agent,
  BranchEvent,
  BusyPolicy,
  ErrorResponse,
  FileMetadata,
  GetAgentsResponse,
  GetSessionsResponse,
  GetSessionTreeResponse,
  GroupedSessionsResponse,
  HTTPValidationError,
  Message,
  MessageCompletedEvent,
  MessageDeltaEvent,
  MessageRole,
  OperationId,
  RenameSessionRequest,
  RunErrorEvent,
  Session,
  SessionBusyResponse,
  SessionError,
  SessionErrorCode,
  SessionEvent,
  SessionStatus,
  SessionStatusEvent,
  SessionSummary,
  ValidationError,
} from '@uxmate/contract'
export type { Middleware } from 'openapi-fetch'
export type { AgentsApi } from './agents.ts'
export type { AiSdkApi, UiMessageChunk } from './ai-sdk.ts'
export type { BranchesApi, EditSessionMessageInput } from './branches.ts'
export type {
  HeadersOption,
  IdempotentOptions,
  RequestOptions,
  RunOptions,
  TurnOptions,
} from './call.ts'
export type { ConditionalCacheOptions } from './conditional-cache.ts'
export { createUxmateClient, type UxmateClient, type UxmateClientOptions } from './create-client.ts'
export {
  type ApiProblem,
  type DetailProblem,
  type UnknownProblem,
  UxmateApiError,
  UxmateError,
  UxmateNetworkError,
  UxmateTimeoutError,
  type ValidationProblem,
} from './errors.ts'
export type { CreateSessionFromTextInput, FileData, FileInput } from './multipart.ts'
export { defaultRetry, type RetryOptions } from './retry.ts'
export type { ServiceApi } from './service.ts'
export type { StreamSessionOptions } from './session-events.ts'
export type { SessionsApi } from './sessions.ts'
export type { FetchLike } from './transport.ts'
export type { PathParams, QueryParams, RequestBody, ResponseBody, ResponseData } from './types.ts'
export type { UsageApi } from './usage.ts'
export type { WaitOptions } from './wait.ts'
export type { WebhooksApi } from './webhooks.ts'
