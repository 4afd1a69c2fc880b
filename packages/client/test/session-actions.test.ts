import { describe, expect, it } from 'vitest'
import { createUxmateClient, type Session, UxmateApiError } from '../src/index.ts'
import { fakeFetch, json } from './fake-fetch.ts'
import { baseUrl, readySession, sessionId } from './fixtures.ts'

const fast = { retries: 2, minDelayMs: 1, maxDelayMs: 2 }

describe('sessions.renameSession', () => {
  it('PATCHes the name as JSON and resolves with the session', async () => {
    const renamed: Session = { ...readySession, name: 'Interview plan' }
    const fetch = fakeFetch(json(renamed))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(
      client.sessions.renameSession(sessionId, { name: 'Interview plan' }),
    ).resolves.toEqual(renamed)
    const [request] = fetch.requests
    expect(request?.method).toBe('PATCH')
    expect(request?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(request?.headers.get('Content-Type')).toBe('application/json')
    expect(await request?.json()).toEqual({ name: 'Interview plan' })
  })

  it('throws a 422 with the problems', async () => {
    const problem = {
      detail: [
        {
          type: 'string_too_short',
          loc: ['body', 'name'],
          msg: 'String should have at least 1 character',
          input: '',
        },
      ],
    }
    const client = createUxmateClient({ baseUrl, fetch: fakeFetch(json(problem, 422)) })
    const error = await client.sessions
      .renameSession(sessionId, { name: '' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UxmateApiError)
    expect((error as UxmateApiError).isValidationError()).toBe(true)
    expect((error as UxmateApiError).message).toContain(
      'name: String should have at least 1 character',
    )
  })
})

describe('sessions.cancelSession', () => {
  it('POSTs to /cancel without a body, retrying a 503 since cancelling is idempotent', async () => {
    const cancelled: Session = {
      ...readySession,
      status: 'Flushed',
      error: { code: 'cancelled', message: 'The run was cancelled' },
    }
    const fetch = fakeFetch(json({ detail: 'busy' }, 503), json(cancelled))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await expect(client.sessions.cancelSession(sessionId)).resolves.toEqual(cancelled)
    expect(fetch.requests.map((request) => [request.method, request.url])).toEqual([
      ['POST', `${baseUrl}/sessions/${sessionId}/cancel`],
      ['POST', `${baseUrl}/sessions/${sessionId}/cancel`],
    ])
    expect(await fetch.requests[0]?.text()).toBe('')
  })

  it('throws a 404 as UxmateApiError', async () => {
    const client = createUxmateClient({
      baseUrl,
      fetch: fakeFetch(json({ detail: 'Session not found' }, 404)),
    })
    await expect(client.sessions.cancelSession(sessionId)).rejects.toMatchObject({
      status: 404,
      operationId: 'cancel_session',
    })
  })
})

describe('sessions.deleteSession', () => {
  it('DELETEs the session with an Idempotency-Key and resolves once it is gone (204)', async () => {
    const fetch = fakeFetch(new Response(null, { status: 204, headers: { 'X-Request-Id': 'r' } }))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(client.sessions.deleteSession(sessionId)).resolves.toBeUndefined()
    const [request] = fetch.requests
    expect(request?.method).toBe('DELETE')
    expect(request?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(request?.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await request?.text()).toBe('')
  })

  it('retries a 503 with the same key, so a retried delete is not a 404', async () => {
    const fetch = fakeFetch(
      json({ detail: 'busy' }, 503),
      new Response(null, { status: 204, headers: { 'Idempotent-Replayed': 'true' } }),
    )
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await client.sessions.deleteSession(sessionId, { idempotencyKey: 'delete-once' })
    expect(fetch.requests.map((r) => r.headers.get('Idempotency-Key'))).toEqual([
      'delete-once',
      'delete-once',
    ])
  })

  it('throws a 404 as UxmateApiError', async () => {
    const client = createUxmateClient({
      baseUrl,
      fetch: fakeFetch(json({ detail: 'Session not found' }, 404)),
    })
    await expect(client.sessions.deleteSession(sessionId)).rejects.toMatchObject({
      status: 404,
      operationId: 'delete_session',
    })
  })
})
