import { describe, expect, it } from 'vitest'
import { createUxmateClient, UxmateApiError, type UxmateClientOptions } from '../src/index.ts'
import { fakeFetch, json, type Responder } from './fake-fetch.ts'
import { baseUrl, readySession, sessionId } from './fixtures.ts'

const tagged = (body: unknown, etag: string) =>
  json(body, 200, { ETag: etag, 'Cache-Control': 'private, no-cache' })
const notModified = (etag: string, requestId = 'req-2') =>
  new Response(null, { status: 304, headers: { ETag: etag, 'X-Request-Id': requestId } })

function setup(options: Partial<UxmateClientOptions>, ...responses: Responder[]) {
  const fetch = fakeFetch(...responses)
  const client = createUxmateClient({ baseUrl, fetch, retry: false, ...options })
  return { fetch, client }
}

describe('the client cache of answers', () => {
  it('sends the kept ETag back and resolves a 304 with the kept answer', async () => {
    const { fetch, client } = setup({}, tagged(readySession, '"v1"'), notModified('"v1"'))
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(readySession)
    expect(fetch.requests[0]?.headers.has('If-None-Match')).toBe(false)
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(readySession)
    expect(fetch.requests[1]?.headers.get('If-None-Match')).toBe('"v1"')

    // As a 200, with the 304's headers (a new request id) over the kept ones.
    const { data, response } = await client.raw.GET('/sessions/{session_id}', {
      params: { path: { session_id: sessionId } },
    })
    expect(data).toEqual(readySession)
    expect(response.status).toBe(200)
    expect(response.headers.get('X-Request-Id')).toBe('req-2')
    expect(response.headers.get('Content-Type')).toBe('application/json')
  })

  it('keeps the new answer after a 200 to a stale tag', async () => {
    const renamed = { ...readySession, name: 'Renamed' }
    const { fetch, client } = setup(
      {},
      tagged(readySession, '"v1"'),
      tagged(renamed, '"v2"'),
      notModified('"v2"'),
    )
    await client.sessions.getSession(sessionId)
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(renamed)
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(renamed)
    expect(fetch.requests[2]?.headers.get('If-None-Match')).toBe('"v2"')
  })

  it('keeps answers apart by URL and API key', async () => {
    const { fetch, client } = setup({ apiKey: 'alice' }, tagged(readySession, '"v1"'))
    await client.sessions.getSession(sessionId)
    await client.sessions.getSession('other')
    await client.sessions.getSession(sessionId, { headers: { Authorization: 'Bearer bob' } })
    await client.sessions.getSession(sessionId)
    expect(fetch.requests.map((r) => r.headers.get('If-None-Match'))).toEqual([
      null,
      null,
      null,
      '"v1"',
    ])
  })

  it('keeps nothing with cache: false, nor an answer without an ETag', async () => {
    const off = setup({ cache: false }, tagged(readySession, '"v1"'))
    await off.client.sessions.getSession(sessionId)
    await off.client.sessions.getSession(sessionId)
    expect(off.fetch.requests[1]?.headers.has('If-None-Match')).toBe(false)

    const untagged = setup({}, json(readySession))
    await untagged.client.sessions.getSession(sessionId)
    await untagged.client.sessions.getSession(sessionId)
    expect(untagged.fetch.requests[1]?.headers.has('If-None-Match')).toBe(false)
  })

  it('passes a 304 to an If-None-Match of the caller on', async () => {
    const { fetch, client } = setup({}, tagged(readySession, '"v1"'), notModified('"v1"'))
    await client.sessions.getSession(sessionId)
    const error = await client.sessions
      .getSession(sessionId, { headers: { 'If-None-Match': '"mine"' } })
      .catch((e: unknown) => e)
    expect(fetch.requests[1]?.headers.get('If-None-Match')).toBe('"mine"')
    expect(error).toBeInstanceOf(UxmateApiError)
    expect((error as UxmateApiError).status).toBe(304)
  })

  it('stays within maxBytes, the least recently used answers first out', async () => {
    // Room for four answers (an answer may take at most a quarter of the bound).
    const body = { ...readySession, name: 'x'.repeat(100) }
    const size = JSON.stringify(body).length
    const { fetch, client } = setup({ cache: { maxBytes: size * 4 + 10 } }, (request) =>
      tagged(body, `"${new URL(request.url).pathname}"`),
    )
    for (const id of ['a', 'b', 'c', 'd', 'e', 'a']) await client.sessions.getSession(id)
    // a, b, c, d were kept; e pushed a out; a is asked for again without a tag.
    expect(fetch.requests.map((r) => r.headers.get('If-None-Match'))).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ])
    await client.sessions.getSession('e')
    expect(fetch.requests[6]?.headers.get('If-None-Match')).toBe('"/sessions/e"')

    // An answer over a quarter of the bound is not kept.
    const big = setup({ cache: { maxBytes: size * 2 } }, tagged(body, '"big"'))
    await big.client.sessions.getSession(sessionId)
    await big.client.sessions.getSession(sessionId)
    expect(big.fetch.requests[1]?.headers.has('If-None-Match')).toBe(false)
  })
})
