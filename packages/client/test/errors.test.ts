import { describe, expect, it } from 'vitest'
import { toProblem } from '../src/errors.ts'
import {
  createUxmateClient,
  UxmateApiError,
  UxmateError,
  UxmateNetworkError,
  UxmateTimeoutError,
} from '../src/index.ts'
import { fakeFetch, json, networkFailure, never } from './fake-fetch.ts'
import { baseUrl, sessionId } from './fixtures.ts'

const noRetry = { retry: false } as const

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('UxmateApiError', () => {
  it('carries status, operationId, request id and the detail of a documented error', async () => {
    const fetch = fakeFetch(json({ detail: 'Session not found' }, 404, { 'X-Request-Id': 'r-404' }))
    const client = createUxmateClient({ baseUrl, fetch })
    const error = await failure(client.sessions.getSession(sessionId))

    expect(error).toBeInstanceOf(UxmateApiError)
    expect(error).toBeInstanceOf(UxmateError)
    if (!(error instanceof UxmateApiError)) return
    expect(error.name).toBe('UxmateApiError')
    expect(error.status).toBe(404)
    expect(error.operationId).toBe('get_session')
    expect(error.requestId).toBe('r-404')
    expect(error.problem).toEqual({
      kind: 'detail',
      status: 404,
      body: { detail: 'Session not found' },
      detail: 'Session not found',
    })
    expect(error.detail).toBe('Session not found')
    expect(error.isValidationError()).toBe(false)
    expect(error.response.status).toBe(404)
    expect(error.message).toBe('get_session failed with 404: Session not found (request id r-404)')
  })

  it('types a 422 as a validation problem listing every error', async () => {
    const body = {
      detail: [
        { type: 'missing', loc: ['body', 'text_prompt'], msg: 'Field required', input: null },
        { type: 'too_long', loc: ['body'], msg: 'Too many files' },
      ],
    }
    const fetch = fakeFetch(json(body, 422))
    const client = createUxmateClient({ baseUrl, fetch })
    const error = await failure(
      client.sessions.createSessionFromText({ agent_id: 'echo', text_prompt: ' ' }),
    )
    if (!(error instanceof UxmateApiError)) throw error
    expect(error.operationId).toBe('create_session_from_text')
    expect(error.isValidationError()).toBe(true)
    if (!error.isValidationError()) return
    expect(error.problem.errors.map((problem) => problem.loc)).toEqual([
      ['body', 'text_prompt'],
      ['body'],
    ])
    expect(error.detail).toBeUndefined()
    expect(error.message).toBe(
      'create_session_from_text failed with 422: text_prompt: Field required; Too many files (request id req-1)',
    )
  })

  it('keeps a body in neither shape as unknown', async () => {
    const fetch = fakeFetch(new Response('<h1>Bad gateway</h1>', { status: 502 }))
    const client = createUxmateClient({ baseUrl, fetch })
    const error = await failure(client.sessions.getSessions({ agent_id: 'echo' }))
    if (!(error instanceof UxmateApiError)) throw error
    expect(error.problem).toEqual({ kind: 'unknown', status: 502, body: '<h1>Bad gateway</h1>' })
    expect(error.requestId).toBeUndefined()
    expect(error.message).toBe('get_sessions failed with 502: <h1>Bad gateway</h1>')
  })

  it('toProblem reads a 422 whose detail is a string as a detail problem', () => {
    expect(toProblem(422, { detail: 'Unprocessable' }).kind).toBe('detail')
    expect(toProblem(409, { detail: [] }).kind).toBe('unknown')
    expect(toProblem(500, null).kind).toBe('unknown')
  })
})

describe('network errors, timeouts and aborts', () => {
  it('a failed fetch rejects with UxmateNetworkError naming the request and the cause', async () => {
    const fetch = fakeFetch(networkFailure)
    const client = createUxmateClient({ baseUrl, fetch, ...noRetry })
    const error = await failure(client.sessions.getSession(sessionId, { requestId: 'mine' }))
    expect(error).toBeInstanceOf(UxmateNetworkError)
    expect(error).toBeInstanceOf(UxmateError)
    if (!(error instanceof UxmateNetworkError)) return
    expect(error.name).toBe('UxmateNetworkError')
    expect(error.operationId).toBe('get_session')
    expect(error.requestId).toBe('mine')
    expect(error.method).toBe('GET')
    expect(error.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(error.cause).toBeInstanceOf(TypeError)
  })

  it('raw rejects with the same error kinds', async () => {
    const client = createUxmateClient({ baseUrl, fetch: fakeFetch(networkFailure), ...noRetry })
    const error = await failure(client.raw.GET('/health'))
    expect(error).toBeInstanceOf(UxmateNetworkError)
    expect((error as UxmateNetworkError).operationId).toBeUndefined()
  })

  it('the deadline rejects with UxmateTimeoutError, also when fetch ignores the signal', async () => {
    const ignoresSignal = () => new Promise<Response>(() => {})
    for (const fetch of [fakeFetch(never), fakeFetch(ignoresSignal)]) {
      const client = createUxmateClient({ baseUrl, fetch, timeoutMs: 20 })
      const error = await failure(client.sessions.getSession(sessionId))
      expect(error).toBeInstanceOf(UxmateTimeoutError)
      expect(error).toBeInstanceOf(UxmateError)
      expect((error as UxmateTimeoutError).timeoutMs).toBe(20)
      expect((error as UxmateTimeoutError).operationId).toBe('get_session')
    }
  })

  it('a per-call timeoutMs overrides the client one', async () => {
    const fetch = fakeFetch(never)
    const client = createUxmateClient({ baseUrl, fetch, timeoutMs: false })
    const error = await failure(client.service.getHealth({ timeoutMs: 10 }))
    expect(error).toBeInstanceOf(UxmateTimeoutError)
  })

  it('the deadline covers retries and back-off', async () => {
    const fetch = fakeFetch(networkFailure)
    const client = createUxmateClient({
      baseUrl,
      fetch,
      timeoutMs: 30,
      retry: { retries: 10, minDelayMs: 1_000, maxDelayMs: 1_000 },
    })
    const started = Date.now()
    const error = await failure(client.sessions.getSession(sessionId))
    expect(error).toBeInstanceOf(UxmateTimeoutError)
    expect(Date.now() - started).toBeLessThan(900)
    expect(fetch.requests).toHaveLength(1)
  })

  it("the caller's abort rejects with the signal's reason, not a UxmateError", async () => {
    const client = createUxmateClient({ baseUrl, fetch: fakeFetch(never) })
    const controller = new AbortController()
    const pending = client.sessions.getSession(sessionId, { signal: controller.signal })
    controller.abort()
    const error = await failure(pending)
    expect(error).not.toBeInstanceOf(UxmateError)
    expect((error as DOMException).name).toBe('AbortError')

    const reason = new Error('navigated away')
    const aborted = AbortSignal.abort(reason)
    await expect(client.sessions.getSession(sessionId, { signal: aborted })).rejects.toBe(reason)
  })
})
