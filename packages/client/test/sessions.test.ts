import { describe, expect, it } from 'vitest'
import { createUxmateClient, UxmateApiError } from '../src/index.ts'
import { fakeFetch, json } from './fake-fetch.ts'
import { baseUrl, readySession, runningSession, sessionId } from './fixtures.ts'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function setup(...responses: Parameters<typeof fakeFetch>) {
  const fetch = fakeFetch(...responses)
  const client = createUxmateClient({ baseUrl, fetch })
  return { fetch, client }
}

describe('sessions.getSession', () => {
  it('GETs the session by id and resolves with the body', async () => {
    const { fetch, client } = setup(json(readySession))
    await expect(client.sessions.getSession(sessionId)).resolves.toEqual(readySession)
    const [request] = fetch.requests
    expect(request?.method).toBe('GET')
    expect(request?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(request?.headers.has('Idempotency-Key')).toBe(false)
  })

  it('encodes the path parameter', async () => {
    const { fetch, client } = setup(json(readySession))
    await client.sessions.getSession('a/b c')
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/sessions/a%2Fb%20c`)
  })

  it('sends the API key, the client headers, per-call headers and the request id', async () => {
    const fetch = fakeFetch(json(readySession))
    const client = createUxmateClient({
      baseUrl: `${baseUrl}/`,
      fetch,
      apiKey: 'secret',
      headers: [['X-Client', 'tests']],
    })
    await client.sessions.getSession(sessionId, {
      requestId: 'my-request',
      headers: { 'X-Call': 'one' },
    })
    const headers = fetch.requests[0]?.headers
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(headers?.get('Authorization')).toBe('Bearer secret')
    expect(headers?.get('X-Client')).toBe('tests')
    expect(headers?.get('X-Call')).toBe('one')
    expect(headers?.get('X-Request-Id')).toBe('my-request')
  })
})

describe('sessions.getSessions and getGroupedSessions', () => {
  it('sends the query with its wire names', async () => {
    const { fetch, client } = setup(json({ sessions: [readySession], next_cursor: 'c2' }))
    const page = await client.sessions.getSessions({ agent_id: 'echo', limit: 10, cursor: 'c1' })
    expect(page).toEqual({ sessions: [readySession], next_cursor: 'c2' })
    const url = new URL(fetch.requests[0]?.url ?? '')
    expect(url.pathname).toBe('/sessions')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      agent_id: 'echo',
      limit: '10',
      cursor: 'c1',
    })
  })

  it('groups without a query by default, with one when given', async () => {
    const grouped = { time_to_sessions: { Today: [] } }
    const { fetch, client } = setup(json(grouped))
    await expect(client.sessions.getGroupedSessions()).resolves.toEqual(grouped)
    await client.sessions.getGroupedSessions({ tz: 'Europe/Paris', limit: 5 })
    expect(fetch.requests.map((request) => request.url)).toEqual([
      `${baseUrl}/sessions/grouped`,
      `${baseUrl}/sessions/grouped?tz=Europe%2FParis&limit=5`,
    ])
  })
})

describe('sessions.getSessionMessages and iterateMessages', () => {
  const [first, second, third] = readySession.messages.concat(readySession.messages)

  it('sends the page query with its wire names', async () => {
    const { fetch, client } = setup(json({ messages: [first], next_cursor: 'c2' }))
    const page = await client.sessions.getSessionMessages(sessionId, { order: 'asc', limit: 1 })
    expect(page).toEqual({ messages: [first], next_cursor: 'c2' })
    expect(fetch.requests[0]?.url).toBe(
      `${baseUrl}/sessions/${sessionId}/messages?order=asc&limit=1`,
    )
  })

  it('yields every message across pages, asking for a page only when the loop gets to it', async () => {
    const { fetch, client } = setup(
      json({ messages: [first, second], next_cursor: 'c2' }),
      json({ messages: [third] }),
    )
    const seen: unknown[] = []
    for await (const message of client.sessions.iterateMessages(sessionId, { limit: 2 })) {
      seen.push(message)
      if (seen.length === 1) expect(fetch.requests).toHaveLength(1)
    }
    expect(seen).toEqual([first, second, third])
    expect(fetch.requests.map((request) => new URL(request.url).search)).toEqual([
      '?limit=2',
      '?limit=2&cursor=c2',
    ])
  })
})

describe('sessions.updateSession', () => {
  it('PUTs the prompt as JSON with a fresh Idempotency-Key per call', async () => {
    const { fetch, client } = setup(json(readySession))
    await expect(
      client.sessions.updateSession(sessionId, { text_prompt: 'Shorter.' }),
    ).resolves.toEqual(readySession)
    await client.sessions.updateSession(sessionId, { text_prompt: 'Again.' })
    const [first, second] = fetch.requests
    expect(first?.method).toBe('PUT')
    expect(first?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(first?.headers.get('Content-Type')).toBe('application/json')
    expect(await first?.json()).toEqual({ text_prompt: 'Shorter.' })
    expect(first?.headers.get('Idempotency-Key')).toMatch(uuid)
    expect(second?.headers.get('Idempotency-Key')).toMatch(uuid)
    expect(second?.headers.get('Idempotency-Key')).not.toBe(first?.headers.get('Idempotency-Key'))
    expect(first?.headers.has('Prefer')).toBe(false)
  })

  it('asks for respond-async and uses the given idempotency key', async () => {
    const { fetch, client } = setup(json(runningSession, 202))
    const session = await client.sessions.updateSession(
      sessionId,
      { text_prompt: 'Go on.' },
      { respondAsync: true, idempotencyKey: 'key-1' },
    )
    expect(session.status).toBe('Running')
    expect(fetch.requests[0]?.headers.get('Prefer')).toBe('respond-async')
    expect(fetch.requests[0]?.headers.get('Idempotency-Key')).toBe('key-1')
  })

  it('cancels a queued turn with DELETE and an Idempotency-Key', async () => {
    const { fetch, client } = setup(new Response(null, { status: 204 }))
    await expect(client.sessions.cancelQueuedTurn(sessionId, 'turn-1')).resolves.toBeUndefined()
    expect(fetch.requests[0]?.method).toBe('DELETE')
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/sessions/${sessionId}/queue/turn-1`)
    expect(fetch.requests[0]?.headers.get('Idempotency-Key')).toMatch(uuid)
  })

  it('sends onBusy as the on_busy query parameter, and reads a 409 naming the run', async () => {
    const busy = {
      detail: 'A run is in progress for this session; wait until it leaves Running',
      run_id: 'run-1',
      events_url: `/sessions/${sessionId}/events`,
    }
    const { fetch, client } = setup(json(runningSession, 202), json(busy, 409))
    await client.sessions.updateSession(
      sessionId,
      { text_prompt: 'Stop and do this.' },
      { onBusy: 'interrupt', respondAsync: true },
    )
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/sessions/${sessionId}?on_busy=interrupt`)
    const refused = await client.sessions
      .updateSession(sessionId, { text_prompt: 'Again.' }, { retry: false })
      .catch((error: unknown) => error)
    expect(fetch.requests[1]?.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    expect(refused).toBeInstanceOf(UxmateApiError)
    expect((refused as UxmateApiError).status).toBe(409)
    expect((refused as UxmateApiError).problem.body).toEqual(busy)
  })
})

describe('sessions.createSessionFromText', () => {
  it('POSTs multipart/form-data with one named `files` part per file', async () => {
    const { fetch, client } = setup(json(readySession))
    await client.sessions.createSessionFromText({
      agent_id: 'echo',
      text_prompt: 'Summarise the attached notes.',
      files: [
        new File(['notes'], 'notes.txt', { type: 'text/plain' }),
        new Blob(['{}'], { type: 'application/json' }),
        { name: 'scan.bin', data: new Uint8Array([1, 2, 3]), type: 'application/octet-stream' },
        { name: 'hello.md', data: '# Hello' },
      ],
    })
    const request = fetch.requests[0]
    expect(request?.method).toBe('POST')
    expect(request?.url).toBe(`${baseUrl}/sessions/text`)
    expect(request?.headers.get('Content-Type')).toMatch(/^multipart\/form-data; boundary=/)
    expect(request?.headers.get('Idempotency-Key')).toMatch(uuid)

    const form = await request?.formData()
    expect(form?.get('agent_id')).toBe('echo')
    expect(form?.get('text_prompt')).toBe('Summarise the attached notes.')
    const files = (form?.getAll('files') ?? []) as File[]
    expect(files.map((file) => [file.name, file.type])).toEqual([
      ['notes.txt', 'text/plain'],
      ['blob', 'application/json'],
      ['scan.bin', 'application/octet-stream'],
      // A part without a type is sent as application/octet-stream.
      ['hello.md', 'application/octet-stream'],
    ])
    expect(await files[0]?.text()).toBe('notes')
    expect([...new Uint8Array((await files[2]?.arrayBuffer()) ?? new ArrayBuffer(0))]).toEqual([
      1, 2, 3,
    ])
    expect(await files[3]?.text()).toBe('# Hello')
  })

  it('sends no files part without files, and Prefer: respond-async on request', async () => {
    const { fetch, client } = setup(json(runningSession, 202))
    const session = await client.sessions.createSessionFromText(
      { agent_id: 'echo', text_prompt: 'Hi' },
      { respondAsync: true },
    )
    expect(session).toEqual(runningSession)
    const request = fetch.requests[0]
    expect(request?.headers.get('Prefer')).toBe('respond-async')
    const form = await request?.formData()
    expect([...(form?.keys() ?? [])]).toEqual(['agent_id', 'text_prompt'])
  })
})

describe('sessions.getSessionFile', () => {
  it('resolves with the bytes as a Blob of the served type', async () => {
    const { fetch, client } = setup(
      new Response('Meeting notes', {
        headers: {
          'Content-Type': 'text/plain',
          'Content-Disposition': 'attachment; filename="notes.txt"',
        },
      }),
    )
    const blob = await client.sessions.getSessionFile(sessionId, 'file-1')
    expect(blob).toBeInstanceOf(Blob)
    expect(blob.type).toBe('text/plain')
    expect(await blob.text()).toBe('Meeting notes')
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/sessions/${sessionId}/files/file-1`)
  })
})

describe('service', () => {
  it('getHealth resolves with the liveness answer', async () => {
    const { fetch, client } = setup(json({ status: 'ok' }))
    await expect(client.service.getHealth()).resolves.toEqual({ status: 'ok' })
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/health`)
  })

  it('getReadiness resolves with a 503 answer instead of throwing, and does not retry it', async () => {
    const notReady = { status: 'not_ready', checks: { store: 'ok', shutdown: 'in progress' } }
    const { fetch, client } = setup(json(notReady, 503))
    await expect(client.service.getReadiness()).resolves.toEqual(notReady)
    expect(fetch.requests).toHaveLength(1)
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/ready`)
  })

  it('getReadiness throws on a 503 that is not a readiness answer', async () => {
    const { client } = setup(new Response('<html>Bad gateway</html>', { status: 503 }))
    await expect(client.service.getReadiness()).rejects.toMatchObject({
      name: 'UxmateApiError',
      status: 503,
      operationId: 'get_readiness',
    })
  })
})

describe('raw and middleware', () => {
  it('raw reaches any operation with the client headers and answers { data, error }', async () => {
    const fetch = fakeFetch(json({ detail: 'Session not found' }, 404))
    const client = createUxmateClient({ baseUrl, fetch, apiKey: 'k' })
    const { data, error, response } = await client.raw.GET('/sessions/{session_id}', {
      params: { path: { session_id: sessionId } },
    })
    expect(data).toBeUndefined()
    expect(error).toEqual({ detail: 'Session not found' })
    expect(response.status).toBe(404)
    expect(fetch.requests[0]?.headers.get('Authorization')).toBe('Bearer k')
  })

  it('use() adds middleware that sees one request and the final answer across retries', async () => {
    const fetch = fakeFetch(json({ detail: 'busy' }, 503), json(readySession))
    const client = createUxmateClient({ baseUrl, fetch, retry: { minDelayMs: 1, maxDelayMs: 2 } })
    const seen: string[] = []
    const middleware = {
      onRequest({ request }: { request: Request }) {
        seen.push(`request ${request.method}`)
        request.headers.set('X-Tenant', 'acme')
      },
      onResponse({ response }: { response: Response }) {
        seen.push(`response ${response.status}`)
      },
    }
    client.use(middleware)
    await client.sessions.getSession(sessionId)
    expect(seen).toEqual(['request GET', 'response 200'])
    expect(fetch.requests.map((request) => request.headers.get('X-Tenant'))).toEqual([
      'acme',
      'acme',
    ])

    client.eject(middleware)
    await client.sessions.getSession(sessionId)
    expect(seen).toHaveLength(2)
  })
})
