/**
 * `sessions.streamSession` on canned Server-Sent Events: typed events, the end of the stream,
 * and reconnection with `Last-Event-ID` after a dropped connection.
 */
import { describe, expect, it } from 'vitest'
import {
  createUxmateClient,
  type SessionEvent,
  UxmateApiError,
  UxmateNetworkError,
} from '../src/index.ts'
import { fakeFetch, json, networkFailure } from './fake-fetch.ts'
import { baseUrl, readySession, sessionId } from './fixtures.ts'

const fast = { retries: 2, minDelayMs: 1, maxDelayMs: 2 }

const frame = (id: number, event: string, data: unknown) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const running = (id: number) => frame(id, 'status', { status: 'Running' })
const delta = (id: number, text: string) => frame(id, 'message.delta', { text })
const ready = (id: number) => frame(id, 'status', { status: 'Ready' })

/**
 * An SSE answer whose body sends `chunks`, then ends, or breaks off when `drop` is set. Pass a
 * dropping one to `fakeFetch` in a function: a cloned body would break off before it is read.
 */
function sse(chunks: string[], options: { drop?: boolean } = {}): Response {
  const encoder = new TextEncoder()
  const queue = [...chunks]
  // One chunk per read, so that the chunks are read before the stream breaks off (an error
  // discards what is still queued).
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = queue.shift()
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk))
      else if (options.drop) controller.error(new TypeError('terminated'))
      else controller.close()
    },
  })
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
}

async function collect(stream: AsyncIterable<SessionEvent>) {
  const events: SessionEvent[] = []
  for await (const event of stream) events.push(event)
  return events
}

describe('sessions.streamSession', () => {
  it('yields typed events until the final status, then stops', async () => {
    const fetch = fakeFetch(
      sse([
        running(1),
        ': keep-alive\n\n',
        delta(2, 'Hel'),
        delta(3, 'lo'),
        frame(4, 'message.completed', { message: readySession.messages[1] }),
        ready(5),
      ]),
    )
    const client = createUxmateClient({ baseUrl, fetch })
    const events = await collect(client.sessions.streamSession(sessionId, { requestId: 'r-1' }))
    expect(events).toEqual([
      { event: 'status', id: 1, data: { status: 'Running' } },
      { event: 'message.delta', id: 2, data: { text: 'Hel' } },
      { event: 'message.delta', id: 3, data: { text: 'lo' } },
      { event: 'message.completed', id: 4, data: { message: readySession.messages[1] } },
      { event: 'status', id: 5, data: { status: 'Ready' } },
    ])
    const [request] = fetch.requests
    expect(request?.url).toBe(`${baseUrl}/sessions/${sessionId}/events`)
    expect(request?.headers.get('Last-Event-ID')).toBeNull()
    expect(request?.headers.get('X-Request-Id')).toBe('r-1')
  })

  it('narrows each event by its name', async () => {
    const client = createUxmateClient({ baseUrl, fetch: fakeFetch(sse([delta(1, 'x'), ready(2)])) })
    let text = ''
    for await (const event of client.sessions.streamSession(sessionId)) {
      if (event.event === 'message.delta') text += event.data.text
    }
    expect(text).toBe('x')
  })

  it('sends lastEventId as Last-Event-ID', async () => {
    const fetch = fakeFetch(sse([ready(9)]))
    const client = createUxmateClient({ baseUrl, fetch })
    await collect(client.sessions.streamSession(sessionId, { lastEventId: 8 }))
    expect(fetch.requests[0]?.headers.get('Last-Event-ID')).toBe('8')
  })

  it('reconnects after a dropped connection, resuming after the last event', async () => {
    const fetch = fakeFetch(
      () => sse([running(1), delta(2, 'a')], { drop: true }),
      networkFailure,
      sse([delta(3, 'b'), ready(4)]),
    )
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    const events = await collect(client.sessions.streamSession(sessionId))
    expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4])
    expect(fetch.requests.map((request) => request.headers.get('Last-Event-ID'))).toEqual([
      null,
      '2',
      '2',
    ])
  })

  it('reconnects when a stream ends before the run does', async () => {
    const fetch = fakeFetch(sse([running(1)]), sse([ready(2)]))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    const events = await collect(client.sessions.streamSession(sessionId))
    expect(events.map((event) => event.data)).toEqual([{ status: 'Running' }, { status: 'Ready' }])
    expect(fetch.requests[1]?.headers.get('Last-Event-ID')).toBe('1')
  })

  it('skips events it does not know', async () => {
    const fetch = fakeFetch(
      sse([frame(1, 'future.thing', { x: 1 }), 'data: no name\n\n', ready(2)]),
    )
    const client = createUxmateClient({ baseUrl, fetch })
    const events = await collect(client.sessions.streamSession(sessionId))
    expect(events).toEqual([{ event: 'status', id: 2, data: { status: 'Ready' } }])
  })

  it('throws a 404 at once, without reconnecting', async () => {
    const fetch = fakeFetch(json({ detail: 'Session not found' }, 404))
    const client = createUxmateClient({ baseUrl, fetch, retry: fast })
    const error = await collect(client.sessions.streamSession(sessionId)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UxmateApiError)
    expect(error).toMatchObject({ status: 404, operationId: 'get_session_events' })
    expect(fetch.requests).toHaveLength(1)
  })

  it('reconnects through a 503, and gives up after `retries` failures in a row', async () => {
    const recovering = fakeFetch(json({ detail: 'later' }, 503), sse([ready(1)]))
    const client = createUxmateClient({ baseUrl, fetch: recovering, retry: fast })
    expect(await collect(client.sessions.streamSession(sessionId))).toHaveLength(1)

    const failing = fakeFetch(() => sse([running(1)], { drop: true }), networkFailure)
    const giving = createUxmateClient({ baseUrl, fetch: failing, retry: fast })
    const seen: SessionEvent[] = []
    const error = await (async () => {
      for await (const event of giving.sessions.streamSession(sessionId)) seen.push(event)
    })().catch((e: unknown) => e)
    expect(seen.map((event) => event.id)).toEqual([1])
    expect(error).toBeInstanceOf(UxmateNetworkError)
    expect(error).toMatchObject({ operationId: 'get_session_events' })
    // The first connection, then `retries` (2) reconnections.
    expect(failing.requests).toHaveLength(3)
  })

  it('does not reconnect with retry: false', async () => {
    const fetch = fakeFetch(() => sse([running(1)], { drop: true }))
    const client = createUxmateClient({ baseUrl, fetch })
    const stream = client.sessions.streamSession(sessionId, { retry: false })
    await expect(collect(stream)).rejects.toBeInstanceOf(UxmateNetworkError)
    expect(fetch.requests).toHaveLength(1)
  })

  it('stops with the signal reason when aborted, and closes the connection', async () => {
    let cancelled = false
    const controller = new AbortController()
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode(running(1)))
      },
      cancel() {
        cancelled = true
      },
    })
    const client = createUxmateClient({
      baseUrl,
      fetch: fakeFetch(
        () => new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }),
      ),
    })
    const reason = new Error('user left')
    const error = await (async () => {
      for await (const event of client.sessions.streamSession(sessionId, {
        signal: controller.signal,
      })) {
        expect(event.id).toBe(1)
        controller.abort(reason)
      }
    })().catch((e: unknown) => e)
    expect(error).toBe(reason)
    expect(cancelled).toBe(true)
  })
})
