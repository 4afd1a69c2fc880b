import { describe, expect, it } from 'vitest'
import {
  createUxmateClient,
  defaultRetry,
  UxmateApiError,
  UxmateNetworkError,
} from '../src/index.ts'
import { backoffDelay, parseRetryAfter, resolveRetry, retryDelay } from '../src/retry.ts'
import { fakeFetch, json, networkFailure } from './fake-fetch.ts'
import { baseUrl, readySession, sessionId } from './fixtures.ts'

const fast = { retries: 2, minDelayMs: 1, maxDelayMs: 5 }

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-26T09:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Thu, 26 Nov 2026 09:00:02 GMT', now)).toBe(2_000)
    expect(parseRetryAfter('Thu, 26 Nov 2026 08:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('backs off exponentially, with jitter over the upper half, capped at maxDelayMs', () => {
    const options = { retries: 5, minDelayMs: 100, maxDelayMs: 1_000 }
    expect(backoffDelay(0, options, () => 0)).toBe(50)
    expect(backoffDelay(0, options, () => 1)).toBe(100)
    expect(backoffDelay(2, options, () => 0)).toBe(200)
    expect(backoffDelay(2, options, () => 1)).toBe(400)
    expect(backoffDelay(10, options, () => 1)).toBe(1_000)
    expect(backoffDelay(10, options, () => 0)).toBe(500)
  })

  it('waits what Retry-After says, and not at all when it exceeds maxDelayMs', () => {
    const options = { retries: 2, minDelayMs: 100, maxDelayMs: 5_000 }
    const answer = (retryAfter?: string) =>
      new Response(null, { status: 429, headers: retryAfter ? { 'Retry-After': retryAfter } : {} })
    expect(retryDelay(0, answer('2'), options)).toBe(2_000)
    expect(retryDelay(0, answer('60'), options)).toBeUndefined()
    expect(retryDelay(0, answer(), options, () => 1)).toBe(100)
  })

  it('merges partial options over the defaults; false turns retrying off', () => {
    expect(resolveRetry(undefined)).toEqual(defaultRetry)
    expect(resolveRetry({ retries: 5 })).toEqual({ ...defaultRetry, retries: 5 })
    expect(resolveRetry(false)).toBe(false)
    expect(resolveRetry({ retries: 1 }, false)).toEqual({ ...defaultRetry, retries: 1 })
    expect(resolveRetry(undefined, false)).toBe(false)
  })
})

describe('retries on the wire', () => {
  it('waits out a 409 with Retry-After (the same request still being answered), not a busy 409', async () => {
    const inProgress = json(
      { detail: 'A request with this Idempotency-Key is still in progress' },
      409,
      {
        'Retry-After': '0',
      },
    )
    const fetch = fakeFetch(inProgress, json(readySession))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await expect(client.sessions.updateSession(sessionId, { text_prompt: 'x' })).resolves.toEqual(
      readySession,
    )
    expect(fetch.requests).toHaveLength(2)
    expect(fetch.requests[1]?.headers.get('Idempotency-Key')).toBe(
      fetch.requests[0]?.headers.get('Idempotency-Key'),
    )

    const busy = fakeFetch(json({ detail: 'A run is in progress for this session' }, 409))
    const busyClient = createUxmateClient({ baseUrl, fetch: busy, retry: fast })
    await expect(
      busyClient.sessions.updateSession(sessionId, { text_prompt: 'x' }),
    ).rejects.toMatchObject({ status: 409 })
    expect(busy.requests).toHaveLength(1)
  })

  it('retries a GET after 503, 429 (Retry-After) and network errors, then answers', async () => {
    const fetch = fakeFetch(
      json({ detail: 'unavailable' }, 503),
      json({ detail: 'slow down' }, 429, { 'Retry-After': '0' }),
      networkFailure,
      json(readySession),
    )
    const client = createUxmateClient({ baseUrl, fetch, retry: { ...fast, retries: 3 } })
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(readySession)
    expect(fetch.requests).toHaveLength(4)
  })

  it('gives up after `retries` and throws the last answer', async () => {
    const fetch = fakeFetch(json({ detail: 'unavailable' }, 503))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await expect(client.sessions.getSessions({ agent_id: 'echo' })).rejects.toMatchObject({
      name: 'UxmateApiError',
      status: 503,
    })
    expect(fetch.requests).toHaveLength(3)
  })

  it('gives up after `retries` network errors with a UxmateNetworkError', async () => {
    const fetch = fakeFetch(networkFailure)
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await expect(client.service.getHealth()).rejects.toBeInstanceOf(UxmateNetworkError)
    expect(fetch.requests).toHaveLength(3)
  })

  it('does not retry other statuses', async () => {
    for (const status of [400, 404, 409, 500, 502]) {
      const fetch = fakeFetch(json({ detail: 'no' }, status))
      const client = createUxmateClient({ baseUrl, fetch, retry: fast })
      await expect(client.sessions.getSession(sessionId)).rejects.toBeInstanceOf(UxmateApiError)
      expect(fetch.requests).toHaveLength(1)
    }
  })

  it('does not wait for a Retry-After beyond maxDelayMs', async () => {
    const fetch = fakeFetch(json({ detail: 'slow down' }, 429, { 'Retry-After': '120' }))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await expect(client.sessions.getSession(sessionId)).rejects.toMatchObject({ status: 429 })
    expect(fetch.requests).toHaveLength(1)
  })

  it('resends a PUT with the same Idempotency-Key and the same body', async () => {
    const fetch = fakeFetch(
      networkFailure,
      json({ detail: 'unavailable' }, 503),
      json(readySession),
    )
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await client.sessions.updateSession(sessionId, { text_prompt: 'Go on.' })
    expect(fetch.requests).toHaveLength(3)
    const keys = new Set(fetch.requests.map((request) => request.headers.get('Idempotency-Key')))
    expect(keys.size).toBe(1)
    for (const request of fetch.requests) {
      expect(await request.json()).toEqual({ text_prompt: 'Go on.' })
    }
  })

  it('resends a multipart POST with its files intact', async () => {
    const fetch = fakeFetch(json({ detail: 'unavailable' }, 503), json(readySession))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    await client.sessions.createSessionFromText(
      { agent_id: 'echo', text_prompt: 'Hi', files: [new File(['abc'], 'a.txt')] },
      { idempotencyKey: 'fixed' },
    )
    expect(fetch.requests.map((request) => request.headers.get('Idempotency-Key'))).toEqual([
      'fixed',
      'fixed',
    ])
    for (const request of fetch.requests) {
      const file = (await request.formData()).get('files') as File
      expect([file.name, await file.text()]).toEqual(['a.txt', 'abc'])
    }
  })

  it('does not resend a POST or PUT without an Idempotency-Key (through raw)', async () => {
    const fetch = fakeFetch(json({ detail: 'unavailable' }, 503))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    const { response } = await client.raw.PUT('/sessions/{session_id}', {
      params: { path: { session_id: sessionId } },
      body: { text_prompt: 'Go on.' },
    })
    expect(response.status).toBe(503)
    expect(fetch.requests).toHaveLength(1)

    await client.raw.PUT('/sessions/{session_id}', {
      params: { path: { session_id: sessionId } },
      body: { text_prompt: 'Go on.' },
      headers: { 'Idempotency-Key': 'by-hand' },
    })
    expect(fetch.requests).toHaveLength(4)
  })

  it('sends once with retry: false, on the client or on a call', async () => {
    const fetch = fakeFetch(json({ detail: 'unavailable' }, 503), json(readySession))
    const off = createUxmateClient({ baseUrl, fetch, retry: false })
    await expect(off.sessions.getSession(sessionId)).rejects.toMatchObject({ status: 503 })
    expect(fetch.requests).toHaveLength(1)

    const fetch2 = fakeFetch(json({ detail: 'unavailable' }, 503), json(readySession))
    const on = createUxmateClient({ baseUrl, fetch: fetch2, retry: fast })
    await expect(on.sessions.getSession(sessionId, { retry: false })).rejects.toMatchObject({
      status: 503,
    })
    expect(fetch2.requests).toHaveLength(1)
  })

  it('turns retries on for one call of a client that has them off', async () => {
    const fetch = fakeFetch(json({ detail: 'unavailable' }, 503), json(readySession))
    const client = createUxmateClient({ baseUrl, fetch, retry: false })
    await expect(
      client.sessions.getSession(sessionId, { retry: { retries: 1, minDelayMs: 1 } }),
    ).resolves.toEqual(readySession)
    expect(fetch.requests).toHaveLength(2)
  })
})
