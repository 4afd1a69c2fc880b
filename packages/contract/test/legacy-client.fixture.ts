/**
 * The existing Python client (`uxmate_client` 1.0.2), transcribed from its documentation
 * (shared/seed/SessionsApi.md and shared/reference/uxmate-models.md). Our openapi.yaml must map
 * onto it one to one; this file changes only if that client changes.
 */
export interface LegacyParameter {
  name: string
  in: 'path' | 'query'
}

export interface LegacyOperation {
  operationId: string
  method: 'get' | 'post' | 'put'
  path: string
  parameters: LegacyParameter[]
  body?:
    | { contentType: string; fields: Record<string, { required: boolean }> }
    | {
        contentType: string
        schema: string
      }
  responses: Record<string, string | null>
}

export const legacyOperations: LegacyOperation[] = [
  {
    operationId: 'create_session_from_text',
    method: 'post',
    path: '/sessions/text',
    parameters: [],
    body: {
      contentType: 'multipart/form-data',
      fields: {
        agent_id: { required: true },
        text_prompt: { required: true },
        files: { required: false },
      },
    },
    responses: { '200': 'Session', '422': 'HTTPValidationError' },
  },
  {
    operationId: 'get_grouped_sessions',
    method: 'get',
    path: '/sessions/grouped',
    parameters: [],
    responses: { '200': 'GroupedSessionsResponse' },
  },
  {
    operationId: 'get_session',
    method: 'get',
    path: '/sessions/{session_id}',
    parameters: [{ name: 'session_id', in: 'path' }],
    responses: { '200': 'Session', '422': 'HTTPValidationError' },
  },
  {
    operationId: 'get_sessions',
    method: 'get',
    path: '/sessions',
    parameters: [{ name: 'agent_id', in: 'query' }],
    responses: { '200': 'GetSessionsResponse', '422': 'HTTPValidationError' },
  },
  {
    operationId: 'update_session',
    method: 'put',
    path: '/sessions/{session_id}',
    parameters: [{ name: 'session_id', in: 'path' }],
    body: { contentType: 'application/json', schema: 'UpdateSessionFromTextRequest' },
    responses: { '200': 'Session', '422': 'HTTPValidationError' },
  },
]

/** A field's type as the old client declares it. */
export type LegacyType =
  | 'string'
  | 'date-time'
  | 'string-or-null'
  | { arrayOf: string }
  | { ref: string }
  | { enum: string[] }
  | 'object'

export interface LegacyField {
  type: LegacyType
  required: boolean
}

export const legacyModels: Record<string, Record<string, LegacyField>> = {
  Session: {
    id: { type: 'string', required: true },
    agent_id: { type: 'string', required: true },
    created_at: { type: 'date-time', required: true },
    updated_at: { type: 'date-time', required: true },
    messages: { type: { arrayOf: 'Message' }, required: true },
    status: { type: { ref: 'SessionStatus' }, required: true },
    routine_id: { type: 'string-or-null', required: false },
  },
  Message: {
    text: { type: 'string', required: true },
    role: { type: { ref: 'MessageRole' }, required: true },
  },
  GetSessionsResponse: {
    sessions: { type: { arrayOf: 'Session' }, required: true },
  },
  GroupedSessionsResponse: {
    time_to_sessions: { type: 'object', required: true },
  },
  SessionSummary: {
    id: { type: 'string', required: true },
    agent: { type: { ref: 'Agent' }, required: true },
    updated_at: { type: 'date-time', required: true },
    name: { type: 'string', required: true },
  },
  Agent: {
    id: { type: 'string', required: true },
    name: { type: 'string', required: true },
    assistant_id: { type: 'string', required: true },
    assistant_nickname: { type: 'string', required: true },
    welcome_message: { type: 'string', required: true },
    user_initial_message: { type: 'string', required: true },
    icon: { type: 'string', required: true },
    visibility_requirements: { type: { arrayOf: 'string' }, required: true },
  },
  UpdateSessionFromTextRequest: {
    text_prompt: { type: 'string', required: true },
  },
  HTTPValidationError: {
    detail: { type: { arrayOf: 'ValidationError' }, required: false },
  },
  ValidationError: {
    loc: { type: { arrayOf: 'string-or-integer' }, required: true },
    msg: { type: 'string', required: true },
    type: { type: 'string', required: true },
  },
}

export const legacyEnums: Record<string, string[]> = {
  SessionStatus: ['Ready', 'Running', 'Flushed'],
  MessageRole: ['user', 'assistant'],
}

export const legacyTag = 'Sessions'
