/**
 * Type tests: the client's signatures come from the contract, so a wrong field name, a missing
 * required field or a wrong response type does not compile. Checked by `vitest` (typecheck mode)
 * and by `tsc --noEmit`; an `@ts-expect-error` that stops being an error fails both.
 */
import type {
  Agent,
  GetAgentsResponse,
  GetSessionsResponse,
  GroupedSessionsResponse,
  HealthResponse,
  HTTPValidationError,
  MessageDeltaEvent,
  OperationId,
  ReadinessResponse,
  Session,
  SessionErrorCode,
  SessionEvent,
  ValidationError,
} from '@uxmate/contract'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createUxmateClient,
  type UxmateApiError,
  type UxmateClient,
  UxmateError,
  type UxmateNetworkError,
  type UxmateTimeoutError,
} from '../src/index.ts'

const client = createUxmateClient({ baseUrl: 'http://127.0.0.1:8000' })
const { sessions, service } = client
const id = '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'

/** `create_session_from_text` -> `createSessionFromText` */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S

/** The method of an operation: its camelCased id, except the stream, named for what it does. */
type MethodName<Op extends string> = Op extends 'get_session_events'
  ? 'streamSession'
  : CamelCase<Op>

describe('method names', () => {
  it('has a method named after every operationId of the contract', () => {
    // Fails when openapi.yaml gains an operation the client does not offer yet.
    expectTypeOf<CamelCase<'create_session_from_text'>>().toEqualTypeOf<'createSessionFromText'>()
    type Methods =
      | keyof UxmateClient['sessions']
      | keyof UxmateClient['service']
      | keyof UxmateClient['agents']
      | keyof UxmateClient['usage']
      | keyof UxmateClient['webhooks']
      | keyof UxmateClient['aiSdk']
    expectTypeOf<MethodName<OperationId>>().toExtend<Methods>()
  })
})

describe('responses are the contract types', () => {
  it('resolves with the contract schemas', () => {
    expectTypeOf(sessions.getSession(id)).resolves.toEqualTypeOf<Session>()
    expectTypeOf(sessions.updateSession(id, { text_prompt: 'x' })).resolves.toEqualTypeOf<Session>()
    expectTypeOf(
      sessions.createSessionFromText({ agent_id: 'echo', text_prompt: 'x' }),
    ).resolves.toEqualTypeOf<Session>()
    expectTypeOf(
      sessions.getSessions({ agent_id: 'echo' }),
    ).resolves.toEqualTypeOf<GetSessionsResponse>()
    expectTypeOf(sessions.getGroupedSessions()).resolves.toEqualTypeOf<GroupedSessionsResponse>()
    expectTypeOf(sessions.getSessionFile(id, id)).resolves.toEqualTypeOf<Blob>()
    expectTypeOf(sessions.waitForSession(id)).resolves.toEqualTypeOf<Session>()
    expectTypeOf(sessions.renameSession(id, { name: 'x' })).resolves.toEqualTypeOf<Session>()
    expectTypeOf(sessions.cancelSession(id)).resolves.toEqualTypeOf<Session>()
    expectTypeOf(sessions.deleteSession(id)).resolves.toEqualTypeOf<void>()
    expectTypeOf(client.agents.getAgents()).resolves.toEqualTypeOf<GetAgentsResponse>()
    expectTypeOf(client.agents.getAgent('echo')).resolves.toEqualTypeOf<Agent>()
    expectTypeOf(sessions.streamSession(id)).toEqualTypeOf<
      AsyncGenerator<SessionEvent, void, undefined>
    >()
    expectTypeOf(service.getHealth()).resolves.toEqualTypeOf<HealthResponse>()
    expectTypeOf(service.getReadiness()).resolves.toEqualTypeOf<ReadinessResponse>()
  })

  it('narrows streamed events by their name', async () => {
    for await (const event of sessions.streamSession(id, { lastEventId: 3 })) {
      expectTypeOf(event.id).toEqualTypeOf<number>()
      if (event.event === 'message.delta')
        expectTypeOf(event.data).toEqualTypeOf<MessageDeltaEvent>()
      if (event.event === 'error') expectTypeOf(event.data.code).toEqualTypeOf<SessionErrorCode>()
    }
    // @ts-expect-error: event ids are numbers
    sessions.streamSession(id, { lastEventId: '3' })
  })

  it('iterates sessions and pages of the contract', () => {
    expectTypeOf(sessions.iterateSessions({ agent_id: 'echo' })).toEqualTypeOf<
      AsyncGenerator<Session, void, undefined>
    >()
    expectTypeOf(sessions.iterateSessionPages({ agent_id: 'echo' })).toEqualTypeOf<
      AsyncGenerator<GetSessionsResponse, void, undefined>
    >()
  })

  it('keeps wire names in what it returns', async () => {
    const page = await sessions.getSessions({ agent_id: 'echo' })
    expectTypeOf(page.next_cursor).toEqualTypeOf<string | undefined>()
    const session = await sessions.getSession(id)
    expectTypeOf(session.agent_id).toEqualTypeOf<string>()
    expectTypeOf(session.status).toEqualTypeOf<'Ready' | 'Running' | 'Flushed'>()
    // @ts-expect-error: the wire name is agent_id
    session.agentId
  })
})

describe('inputs are the contract types', () => {
  it('takes path parameters positionally and the rest as one object', () => {
    expectTypeOf(sessions.getSession).parameter(0).toEqualTypeOf<string>()
    expectTypeOf(sessions.getSessions).parameter(0).toEqualTypeOf<{
      agent_id: string
      limit?: number
      cursor?: string
      archived?: boolean
      pinned?: boolean
      tag?: string[]
      metadata?: string[]
      include_messages?: boolean
    }>()
    expectTypeOf(sessions.updateSession).parameter(1).toEqualTypeOf<{ text_prompt: string }>()
  })

  it('rejects wrong and missing fields', () => {
    // @ts-expect-error: the query parameter is agent_id, not agentId
    sessions.getSessions({ agentId: 'x' })
    // @ts-expect-error: agent_id is required
    sessions.getSessions({ limit: 10 })
    // @ts-expect-error: limit is a number
    sessions.getSessions({ agent_id: 'x', limit: '10' })
    // @ts-expect-error: text_prompt is required
    sessions.updateSession(id, {})
    // @ts-expect-error: the field is text_prompt
    sessions.updateSession(id, { textPrompt: 'x' })
    // @ts-expect-error: the session id comes first, positionally
    sessions.getSession({ session_id: id })
    // @ts-expect-error: text_prompt is required
    sessions.createSessionFromText({ agent_id: 'echo' })
    // @ts-expect-error: the field is agent_id
    sessions.createSessionFromText({ agentId: 'echo', text_prompt: 'x' })
    // @ts-expect-error: tz is a string
    sessions.getGroupedSessions({ tz: 1 })
    // @ts-expect-error: a file is a Blob, a File or { name, data, type? }
    sessions.createSessionFromText({ agent_id: 'e', text_prompt: 'x', files: ['notes.txt'] })
    // @ts-expect-error: a file given by its parts needs a name
    sessions.createSessionFromText({ agent_id: 'e', text_prompt: 'x', files: [{ data: 'x' }] })
  })

  it('accepts files as File, Blob, or { name, data, type }', () => {
    sessions.createSessionFromText({
      agent_id: 'echo',
      text_prompt: 'x',
      files: [
        new File(['x'], 'x.txt'),
        new Blob(['x']),
        { name: 'a.bin', data: new Uint8Array([1]), type: 'application/octet-stream' },
        { name: 'b.txt', data: 'text' },
      ],
    })
  })

  it('takes run options on the methods that start a run only', () => {
    sessions.updateSession(id, { text_prompt: 'x' }, { respondAsync: true, idempotencyKey: 'k' })
    // @ts-expect-error: a GET starts no run
    sessions.getSession(id, { respondAsync: true })
  })

  it('types raw by the contract paths too', () => {
    // @ts-expect-error: no such path in the contract
    client.raw.GET('/session')
    client.raw.GET('/sessions', {
      // @ts-expect-error: the query parameter is agent_id
      params: { query: { agentId: 'echo' } },
    })
  })
})

describe('errors', () => {
  it('narrows API errors to their problem', (error: UxmateApiError) => {
    expectTypeOf(error.status).toEqualTypeOf<number>()
    expectTypeOf(error.operationId).toEqualTypeOf<OperationId>()
    expectTypeOf(error.requestId).toEqualTypeOf<string | undefined>()
    if (error.isValidationError()) {
      expectTypeOf(error.status).toEqualTypeOf<422>()
      expectTypeOf(error.problem.body).toEqualTypeOf<HTTPValidationError>()
      expectTypeOf(error.problem.errors).toEqualTypeOf<ValidationError[]>()
    }
    const problem = error.problem
    switch (problem.kind) {
      case 'validation':
        expectTypeOf(problem.errors).toEqualTypeOf<ValidationError[]>()
        break
      case 'detail':
        expectTypeOf(problem.detail).toEqualTypeOf<string>()
        break
      default:
        expectTypeOf(problem.body).toEqualTypeOf<unknown>()
    }
  })

  it('roots every error kind at UxmateError', () => {
    expectTypeOf<UxmateApiError>().toExtend<UxmateError>()
    expectTypeOf<UxmateNetworkError>().toExtend<UxmateError>()
    expectTypeOf<UxmateTimeoutError>().toExtend<UxmateError>()
    expectTypeOf<UxmateError>().toExtend<Error>()
    expectTypeOf(UxmateError).toBeConstructibleWith('message')
  })
})
