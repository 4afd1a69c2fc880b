/**
 * Client conformance: every `@uxmate/client` method, with a `fetch` that checks each request it
 * sends against openapi.yaml, then (a) hands it to the real server in-process and validates the
 * answer, or (b) answers with each documented response of the operation, built from the
 * document's examples, to check the client returns the data or throws `UxmateApiError` with the
 * right status and body.
 */
import { randomUUID } from 'node:crypto'
import { createUxmateClient, UxmateApiError, type UxmateClient } from '@uxmate/client'
import type { OperationId, Session } from '@uxmate/contract'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { type InProcessServer, startInProcess } from '../src/fixtures.ts'
import { validateRequest } from '../src/request-validator.ts'
import { exampleHeaders, loadSpec } from '../src/spec.ts'
import { parseServerSentEvents } from '../src/spec-validator.ts'

const baseUrl = 'http://uxmate.test'
const via = 'client'

interface Sent {
  operationId: string | undefined
  method: string
  url: string
  problems: string[]
}

/** A `fetch` that checks every request against the document, then lets `answer` respond. */
function checkingFetch(
  sent: Sent[],
  answer: (request: Request, operationId: string) => Promise<Response>,
) {
  return async (request: Request): Promise<Response> => {
    const check = await validateRequest(request)
    const operationId = check.operation?.operationId
    sent.push({ operationId, method: request.method, url: request.url, problems: check.problems })
    if (!operationId) return Response.json({ detail: 'Not Found' }, { status: 404 })
    return answer(request, operationId)
  }
}

function expectValidRequests(sent: Sent[], operationId?: string) {
  expect(sent.length, 'the client sent a request').toBeGreaterThan(0)
  if (operationId) expect(sent.map((s) => s.operationId)).toContain(operationId)
  expect(sent.flatMap((s) => s.problems)).toEqual([])
}

// The same valid arguments for both halves of the suite; ids are whatever the server has.
interface Ids {
  sessionId: string
  fileId: string
  /** A session `delete_session` may delete: the others' calls still need theirs. */
  spareSessionId: string
  /** The agent's reply in `sessionId`, to rate. */
  replyId: string
  /** The session's first message (the user's) and the agent's reply to it. */
  questionId: string
  answerId: string
  /** A session whose run is held, and a turn queued behind it, to cancel. */
  busySessionId: string
  queuedTurnId: string
}

type Call = (client: UxmateClient, ids: Ids) => Promise<unknown>

/**
 * One call of each operation's method, with every option that reaches the wire, by operationId.
 * An operation of openapi.yaml without an entry here fails 'has a method for every operation'.
 */
const calls: { [Id in OperationId]?: Call } = {
  create_session_from_text: (client) =>
    client.sessions.createSessionFromText(
      {
        agent_id: 'echo',
        text_prompt: 'Summarise the attached notes.',
        files: [
          new File(['Meeting notes, 26 November.'], 'notes.txt', { type: 'text/plain' }),
          { name: 'data.bin', data: new Uint8Array([0, 1, 2, 255]) },
        ],
      },
      { requestId: 'client-create', idempotencyKey: 'create-1' },
    ),
  get_grouped_sessions: (client) =>
    client.sessions.getGroupedSessions(
      { tz: 'Europe/Paris', agent_id: 'echo', limit: 10 },
      { requestId: 'client-grouped' },
    ),
  search_sessions: (client) => client.sessions.searchSessions({ q: 'shorter', limit: 5 }),
  export_sessions: async (client) => {
    const sessions = []
    for await (const session of client.sessions.exportSessions({ files: 'links' }))
      sessions.push(session)
    return sessions
  },
  export_session: (client, ids) =>
    client.sessions.exportSession(ids.sessionId, { files: 'inline' }),
  import_sessions: (client) =>
    client.sessions.importSessions(
      '{"id":"client-import","agent_id":"echo","created_at":"2024-05-01T10:00:00Z","messages":[{"role":"user","text":"Hi"}]}\n',
    ),
  get_session: (client, ids) => client.sessions.getSession(ids.sessionId),
  get_session_messages: (client, ids) =>
    client.sessions.getSessionMessages(ids.sessionId, { order: 'asc', limit: 2 }),
  update_session: (client, ids) =>
    client.sessions.updateSession(ids.sessionId, { text_prompt: 'Now make it shorter.' }),
  get_sessions: (client) => client.sessions.getSessions({ agent_id: 'echo', limit: 2 }),
  rename_session: (client, ids) =>
    client.sessions.renameSession(
      ids.sessionId,
      { name: 'Onboarding interview plan' },
      { requestId: 'client-rename' },
    ),
  // Resolves with nothing (204); the marker tells the caller it did resolve.
  cancel_queued_turn: (client, ids) =>
    client.sessions
      .cancelQueuedTurn(ids.busySessionId, ids.queuedTurnId, { requestId: 'client-dequeue' })
      .then(() => 'deleted'),
  cancel_session: (client, ids) =>
    client.sessions.cancelSession(ids.sessionId, { idempotencyKey: 'cancel-1' }),
  // Resolves with nothing (204); the marker tells the caller it did resolve.
  delete_session: (client, ids) =>
    client.sessions
      .deleteSession(ids.spareSessionId, { requestId: 'client-delete' })
      .then(() => 'deleted'),
  get_session_events: async (client, ids) => {
    const events = []
    for await (const event of client.sessions.streamSession(ids.sessionId, { retry: false }))
      events.push(event)
    return events
  },
  get_session_file: (client, ids) => client.sessions.getSessionFile(ids.sessionId, ids.fileId),
  // Rated, then the rating withdrawn: in this order, so that there is one to withdraw.
  rate_message: (client, ids) =>
    client.sessions.rateMessage(ids.sessionId, ids.replyId, { rating: 'down', comment: 'Vague' }),
  delete_message_feedback: (client, ids) =>
    client.sessions
      .deleteMessageFeedback(ids.sessionId, ids.replyId, { requestId: 'client-unrate' })
      .then(() => 'deleted'),
  get_agent_feedback: (client) =>
    client.agents.getAgentFeedback('echo', { rating: 'down', limit: 5 }),
  get_session_tree: (client, ids) =>
    client.sessions.getSessionTree(ids.sessionId, { siblings_of: ids.answerId, limit: 10 }),
  regenerate_session_message: (client, ids) =>
    client.sessions.regenerateSessionMessage(ids.sessionId, ids.answerId, {
      requestId: 'client-regenerate',
      idempotencyKey: 'regenerate-1',
    }),
  edit_session_message: (client, ids) =>
    client.sessions.editSessionMessage(ids.sessionId, ids.questionId, {
      text_prompt: 'Summarise them in three points.',
      files: [{ name: 'more.txt', data: 'More notes', type: 'text/plain' }],
    }),
  switch_session_branch: (client, ids) =>
    client.sessions.switchSessionBranch(ids.sessionId, ids.answerId, {
      requestId: 'client-switch',
    }),
  fork_session: (client, ids) =>
    client.sessions.forkSession(ids.sessionId, ids.answerId, { idempotencyKey: 'fork-1' }),
  get_agents: (client) => client.agents.getAgents(),
  get_usage: (client) => client.usage.getUsage({ tz: 'UTC' }),
  list_webhook_deliveries: (client) => client.webhooks.listWebhookDeliveries({ limit: 5 }),
  ui_chat: async (client, ids) => {
    const chunks = []
    for await (const chunk of client.aiSdk.uiChat({
      id: ids.sessionId,
      trigger: 'submit-message',
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello again' }] }],
    }))
      chunks.push(chunk)
    return chunks
  },
  ui_chat_resume: async (client, ids) => {
    const chunks = []
    for await (const chunk of client.aiSdk.uiChatResume(ids.sessionId)) chunks.push(chunk)
    return chunks
  },
  ui_chat_messages: (client, ids) => client.aiSdk.uiChatMessages(ids.sessionId),
  get_agent: (client) => client.agents.getAgent('echo', { requestId: 'client-agent' }),
  get_health: (client) => client.service.getHealth({ requestId: 'client-health' }),
  get_readiness: (client) => client.service.getReadiness(),
}

function callOf(operationId: string): Call {
  const call = calls[operationId as OperationId]
  if (!call) throw new Error(`No client call for ${operationId}: add one to \`calls\``)
  return call
}

/** The operations of openapi.yaml that have an entry in `calls`. */
const callable = (operationId: string) => operationId in calls

describe('the client covers openapi.yaml', () => {
  it('has a method for every operation of the document', () => {
    const documented = loadSpec().operations.map((op) => op.operationId)
    expect(Object.keys(calls).sort()).toEqual([...documented].sort())
  })
})

describe('client requests, answered by the real server', () => {
  let server: InProcessServer
  let sent: Sent[]
  let client: UxmateClient
  let ids: Ids

  beforeAll(async () => {
    server = await startInProcess()
    sent = []
    client = createUxmateClient({
      baseUrl,
      retry: false,
      headers: { 'User-Agent': 'contract-tests' },
      fetch: checkingFetch(sent, async (request, operationId) => {
        const response = await server.app.fetch(request)
        // Validated (and recorded) on a copy; the client reads the original.
        await expectConformant(operationId, response.clone(), { via })
        return response
      }),
    })
    const none = {
      sessionId: '',
      fileId: '',
      spareSessionId: '',
      replyId: '',
      questionId: '',
      answerId: '',
      busySessionId: '',
      queuedTurnId: '',
    }
    const created = (await callOf('create_session_from_text')(client, none)) as Session
    // Not the same call again: its Idempotency-Key would answer with the same session.
    const spare = await client.sessions.createSessionFromText({
      agent_id: 'echo',
      text_prompt: 'Spare, for delete_session',
    })
    const fileId = created.messages[0]?.files?.[0]?.id
    if (!fileId) throw new Error('the created session lists no file')
    const replyId = created.messages.findLast((m) => m.role === 'assistant')?.id
    if (!replyId) throw new Error('the created session has no reply')
    const [question, answer] = created.messages
    // Held until the 409 test releases it: the turn queued behind its run waits till then.
    server.held.hold()
    const busy = await client.sessions.createSessionFromText(
      { agent_id: 'held', text_prompt: 'Hold on, for cancel_queued_turn' },
      { respondAsync: true },
    )
    const queued = await client.sessions.updateSession(
      busy.id,
      { text_prompt: 'Queued' },
      { onBusy: 'enqueue' },
    )
    ids = {
      busySessionId: busy.id,
      queuedTurnId: queued.queued_turns?.[0]?.id ?? '',
      sessionId: created.id,
      fileId,
      spareSessionId: spare.id,
      questionId: question?.id ?? '',
      answerId: answer?.id ?? '',
      replyId,
    }
  })

  it.each(Object.keys(calls))('%s: valid request, typed data back', async (id) => {
    sent.length = 0
    const data = await callOf(id)(client, ids)
    expectValidRequests(sent, id)
    expect(data).toBeDefined()
  })

  it('createSessionFromText and updateSession with respondAsync send Prefer and get 202', async () => {
    sent.length = 0
    const started = await client.sessions.createSessionFromText(
      { agent_id: 'echo', text_prompt: 'Later, please' },
      { respondAsync: true },
    )
    const continued = await client.sessions.updateSession(
      (await client.sessions.waitForSession(started.id, { intervalMs: 10 })).id,
      { text_prompt: 'And again' },
      { respondAsync: true },
    )
    expect(continued.status).toBe('Running')
    const done = await client.sessions.waitForSession(continued.id, { intervalMs: 10 })
    expect(done.status).toBe('Ready')
    expectValidRequests(sent, 'update_session')
  })

  it('iterateSessionPages and iterateSessions follow next_cursor with valid requests', async () => {
    sent.length = 0
    const pages = []
    for await (const page of client.sessions.iterateSessionPages({ agent_id: 'echo', limit: 1 }))
      pages.push(page)
    expect(pages.length).toBeGreaterThan(1)
    const all = []
    for await (const session of client.sessions.iterateSessions({ agent_id: 'echo', limit: 2 }))
      all.push(session)
    expect(all).toHaveLength(pages.length)
    expect(sent.filter((s) => s.url.includes('cursor=')).length).toBeGreaterThan(0)
    expectValidRequests(sent, 'get_sessions')
  })

  it('raw (openapi-fetch) requests are valid too', async () => {
    sent.length = 0
    const { data } = await client.raw.GET('/sessions/grouped', { params: { query: { tz: 'UTC' } } })
    expect(data?.time_to_sessions).toBeDefined()
    expectValidRequests(sent, 'get_grouped_sessions')
  })

  it('throws UxmateApiError for the server`s 404 and 409', async () => {
    sent.length = 0
    const missing = await client.sessions.getSession(randomUUID()).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(UxmateApiError)
    expect((missing as UxmateApiError).status).toBe(404)
    expect((missing as UxmateApiError).detail).toBe('Session not found')

    server.held.hold()
    const busy = await client.sessions.createSessionFromText(
      { agent_id: 'held', text_prompt: 'Hold on' },
      { respondAsync: true },
    )
    const conflict = await client.sessions
      .updateSession(busy.id, { text_prompt: 'Done?' })
      .catch((e: unknown) => e)
    server.held.release()
    expect(conflict).toBeInstanceOf(UxmateApiError)
    expect((conflict as UxmateApiError).status).toBe(409)
    await client.sessions.waitForSession(busy.id, { intervalMs: 10 })
    expectValidRequests(sent)
  })

  it('passes invalid input through; the checker flags it and the server answers 422', async () => {
    sent.length = 0
    const error = await client.sessions.getSessions({ agent_id: '' }).catch((e: unknown) => e)
    expect(sent[0]?.problems.join('\n')).toMatch(/agent_id/)
    expect(error).toBeInstanceOf(UxmateApiError)
    expect((error as UxmateApiError).isValidationError()).toBe(true)
  })
})

/**
 * The documented responses of every operation, one per example (one without a body for a
 * response that documents none, like a 204), as a `fetch` would get them.
 */
function cannedResponses() {
  return loadSpec().operations.flatMap((op) =>
    Object.entries(op.responses).flatMap(([status, response]) => {
      if (Object.keys(response.content ?? {}).length === 0)
        return [
          {
            operationId: op.operationId as OperationId,
            status: Number(status),
            type: undefined,
            name: 'no content',
            value: undefined,
            headers: exampleHeaders(response),
          },
        ]
      return Object.entries(response.content ?? {}).flatMap(([type, media]) => {
        const named = Object.entries(media.examples ?? {}).map(([name, e]) => [name, e.value])
        const examples =
          media.example !== undefined ? [['example', media.example], ...named] : named
        return examples.map(([name, value]) => ({
          operationId: op.operationId as OperationId,
          status: Number(status),
          type: type === '*/*' ? 'text/plain' : (type as string | undefined),
          name: String(name),
          value,
          headers: exampleHeaders(response),
        }))
      })
    }),
  )
}

describe('client answers to every documented response (from the examples)', () => {
  const ids: Ids = {
    sessionId: '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
    fileId: '9d2b3c1e-77a4-4b6e-9f0a-3e5d2c1b0a99',
    spareSessionId: '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa',
    replyId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    questionId: '6c2ef1b5-4c2d-4ae5-9a6d-6a65b2b2e1bb',
    answerId: '7d3f02c6-5d3e-4bf6-8b7e-7b76c3c3f2cc',
    busySessionId: '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
    queuedTurnId: '0193a2b4-7c1e-7d2f-9a3b-4c5d6e7f8091',
  }
  // Operations without a client call are reported by 'has a method for every operation'.
  const cases = cannedResponses().filter((c) => callable(c.operationId))

  it('has an example for every documented response', () => {
    const documented = loadSpec()
      .operations.filter((op) => callable(op.operationId))
      .flatMap((op) => Object.keys(op.responses).map((status) => `${op.operationId} ${status}`))
    expect([...new Set(cases.map((c) => `${c.operationId} ${c.status}`))].sort()).toEqual(
      documented.sort(),
    )
  })

  it.each(cases.map((c) => [`${c.operationId} ${c.status} (${c.name})`, c] as const))(
    '%s',
    async (_name, canned) => {
      const sent: Sent[] = []
      const body =
        canned.type === undefined
          ? null
          : typeof canned.value === 'string' && !/^application\/(.+\+)?json$/.test(canned.type)
            ? canned.value
            : JSON.stringify(canned.value)
      const client = createUxmateClient({
        baseUrl,
        retry: false,
        fetch: checkingFetch(sent, async () => {
          return new Response(body, {
            status: canned.status,
            headers: {
              ...canned.headers,
              ...(canned.type === undefined ? {} : { 'Content-Type': canned.type }),
              'X-Request-Id': 'canned-response',
              ...(canned.status === 202 ? { 'Preference-Applied': 'respond-async' } : {}),
            },
          })
        }),
      })
      const outcome = await callOf(canned.operationId)(client, ids).then(
        (data) => ({ ok: true as const, data }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      expectValidRequests(sent, canned.operationId)

      // A documented 503 of the readiness probe is an answer, not an error (see ServiceApi).
      const resolves = canned.status < 300 || canned.operationId === 'get_readiness'
      if (resolves) {
        if (!outcome.ok) throw outcome.error
        if (canned.type === undefined)
          // A stream with nothing to resume is a stream of no chunks; a delete resolves.
          expect(outcome.data).toEqual(canned.operationId === 'ui_chat_resume' ? [] : 'deleted')
        else if (outcome.data instanceof Blob) expect(await outcome.data.text()).toBe(canned.value)
        else if (canned.type === 'text/event-stream' && canned.operationId.startsWith('ui_chat'))
          // The AI SDK's stream comes back as its chunks, up to `[DONE]`.
          expect(outcome.data).toEqual(
            parseServerSentEvents(String(canned.value))
              .map((event) => ('data' in event ? event.data : event))
              .filter((data) => data !== '[DONE]'),
          )
        else if (canned.type === 'application/x-ndjson')
          // NDJSON comes back as its records, parsed (one for a single session's export).
          expect(outcome.data).toEqual(
            ((parsed) => (canned.operationId === 'export_session' ? parsed[0] : parsed))(
              String(canned.value)
                .split('\n')
                .filter((line) => line !== '')
                .map((line) => JSON.parse(line)),
            ),
          )
        else if (canned.type === 'text/event-stream')
          // A stream comes back as its events, parsed.
          expect(outcome.data).toEqual(parseServerSentEvents(String(canned.value)))
        else expect(outcome.data).toEqual(canned.value)
        return
      }
      expect(outcome.ok, 'the client rejects').toBe(false)
      const error = (outcome as { error: unknown }).error
      expect(error).toBeInstanceOf(UxmateApiError)
      const apiError = error as UxmateApiError
      expect(apiError.status).toBe(canned.status)
      expect(apiError.operationId).toBe(canned.operationId)
      expect(apiError.requestId).toBe('canned-response')
      // A 304 has no body; one the client holds no answer for (its caller sent If-None-Match)
      // is not a success.
      expect(apiError.problem.body).toEqual(canned.status === 304 ? '' : canned.value)
      expect(apiError.problem.kind).toBe(
        canned.status === 304 ? 'unknown' : canned.status === 422 ? 'validation' : 'detail',
      )
    },
  )
})

describe('client headers', () => {
  /**
   * What any request may carry besides the operation's header parameters. `Authorization` is a
   * client-wide header: harmless where no key is asked for (the probes), required where one is.
   */
  const alwaysAllowed = ['accept', 'content-type', 'content-length', 'authorization']
  const ids: Ids = {
    sessionId: '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
    fileId: '9d2b3c1e-77a4-4b6e-9f0a-3e5d2c1b0a99',
    spareSessionId: '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa',
    replyId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    questionId: '6c2ef1b5-4c2d-4ae5-9a6d-6a65b2b2e1bb',
    answerId: '7d3f02c6-5d3e-4bf6-8b7e-7b76c3c3f2cc',
    busySessionId: '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
    queuedTurnId: '0193a2b4-7c1e-7d2f-9a3b-4c5d6e7f8091',
  }
  type Security = Array<Record<string, unknown>>

  // Once a known discrepancy: the client sent `Idempotency-Key` (and retried on it) before
  // openapi.yaml documented it. Now every header it sends is a documented parameter of the
  // operation, and it sends the `bearerAuth` key wherever the operation takes one.
  it.each(Object.keys(calls))('%s sends only headers openapi.yaml documents', async (id) => {
    const { document, operations } = loadSpec()
    const op = operations.find((o) => o.operationId === id)
    const documented = new Set([
      ...alwaysAllowed,
      ...(op?.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
    ])
    const raw = document.paths[op?.path ?? '']?.[op?.method ?? ''] as { security?: Security }
    const security = (raw?.security ?? document.security ?? []) as Security

    const names: string[] = []
    const client = createUxmateClient({
      baseUrl,
      apiKey: 'uxm_a-key',
      retry: false,
      fetch: async (request) => {
        names.push(...request.headers.keys())
        return Response.json({ detail: 'Not authenticated' }, { status: 401 })
      },
    })
    await callOf(id)(client, ids).catch(() => undefined)
    expect(names.length).toBeGreaterThan(0)
    expect(names.filter((name) => !documented.has(name))).toEqual([])
    if (security.some((requirement) => 'bearerAuth' in requirement))
      expect(names).toContain('authorization')
  })
})
