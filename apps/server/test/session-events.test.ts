/**
 * `GET /sessions/{session_id}/events`: a run as Server-Sent Events, resumable with
 * `Last-Event-ID`.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createInMemoryRunEvents, type RunEvents } from '../src/domain/run-events.ts'
import { readSse } from './sse-reader.ts'
import { createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function startAsync(app: App, agentId: string, text = 'Hello there') {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agentId, text_prompt: text }),
    headers: { Prefer: 'respond-async' },
  })
  expect(response.status).toBe(202)
  return (await response.json()) as Session
}

const follow = (app: App, sessionId: string, lastEventId?: number) =>
  app.request(`/sessions/${sessionId}/events`, {
    headers: lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) },
  })

const deltas = (events: Array<{ event: string; data: unknown }>) =>
  events
    .filter((event) => event.event === 'message.delta')
    .map((event) => (event.data as { text: string }).text)

const increasing = (ids: number[]) => ids.every((id, i) => i === 0 || id > (ids[i - 1] as number))

describe('GET /sessions/{session_id}/events', () => {
  it('streams a whole echo run word by word, then ends', async () => {
    const { app } = await createTestApp({
      agents: [createEchoAgent({ delayMs: 5 })],
      config: { echoDelayMs: 5 },
    })
    const session = await startAsync(app, 'echo', 'Hello there friend')
    const response = await follow(app, session.id)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^text\/event-stream/)
    expect(response.headers.get('Cache-Control')).toBe('no-cache')
    expect(response.headers.get('X-Request-Id')).toBeTruthy()

    const events = await readSse(response).rest()
    expect(events.map((event) => event.event)).toEqual([
      'status',
      ...Array(5).fill('message.delta'),
      'message.completed',
      'status',
    ])
    expect(events[0]?.data).toEqual({ status: 'Running' })
    expect(deltas(events)).toEqual(['You ', 'said: ', 'Hello ', 'there ', 'friend'])
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(events.at(-2)?.data).toEqual({ message: stored.messages[1] })
    expect(events.at(-1)?.data).toEqual({ status: 'Ready' })
    expect(increasing(events.map((event) => event.id))).toBe(true)
  })

  it('sends every follower the same bytes, in the SSE framing of hono writeSSE', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')
    const [a, b] = await Promise.all([follow(app, session.id), follow(app, session.id)])
    scripted.send('one "two"\n')
    scripted.finish()
    const [textA, textB] = await Promise.all([a.text(), b.text()])
    expect(textA).toBe(textB)
    const blocks = textA.split('\n\n').filter((block) => block !== '')
    expect(blocks[0]).toMatch(/^event: status\ndata: \{"status":"Running"\}\nid: \d+$/)
    expect(blocks[1]).toMatch(
      /^event: message\.delta\ndata: \{"text":"one \\"two\\"\\n"\}\nid: \d+$/,
    )
    expect(blocks.at(-1)).toMatch(/^event: status\ndata: \{"status":"Ready"\}\nid: \d+$/)
  })

  it('resumes after a dropped connection with Last-Event-ID: every delta once, in order', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')

    const first = readSse(await follow(app, session.id))
    expect(await first.nextEvent()).toMatchObject({ event: 'status', data: { status: 'Running' } })
    scripted.send('a ')
    scripted.send('b ')
    const seen = [await first.nextEvent(), await first.nextEvent()]
    expect(deltas(seen.map((event) => event ?? { event: '', data: null }))).toEqual(['a ', 'b '])
    await first.cancel()

    // Written while nobody listens: must come back on reconnection.
    scripted.send('c ')
    scripted.send('d ')
    const lastSeen = seen.at(-1)?.id as number
    const second = readSse(await follow(app, session.id, lastSeen))
    const resumed = [await second.nextEvent(), await second.nextEvent()]
    expect(deltas(resumed.map((event) => event ?? { event: '', data: null }))).toEqual(['c ', 'd '])
    scripted.send('e')
    scripted.finish()
    const rest = await second.rest()
    const all = [...seen, ...resumed, ...rest].map(
      (event) => event ?? { event: '', id: 0, data: 0 },
    )

    expect(deltas(all)).toEqual(['a ', 'b ', 'c ', 'd ', 'e'])
    expect(increasing(all.map((event) => event.id))).toBe(true)
    expect(rest.map((event) => event.event)).toEqual([
      'message.delta',
      'message.completed',
      'status',
    ])
    expect(rest[1]?.data).toMatchObject({ message: { role: 'assistant', text: 'a b c d e' } })
    expect(rest[2]?.data).toEqual({ status: 'Ready' })
  })

  it('replays the run from its start to a client that connects late', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')
    const watcher = readSse(await follow(app, session.id))
    scripted.send('early ')
    await watcher.nextEvent()
    expect(await watcher.nextEvent()).toMatchObject({ data: { text: 'early ' } })

    const late = readSse(await follow(app, session.id))
    scripted.send('late')
    scripted.finish()
    const events = await late.rest()
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'Running' } })
    expect(deltas(events)).toEqual(['early ', 'late'])
    await watcher.cancel()
  })

  it('answers an idle session with its status and ends; ids never go backwards across runs', async () => {
    const { app } = await createTestApp()
    const created = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'One' }),
      })
    ).json()) as Session
    const idle = await readSse(await follow(app, created.id)).rest()
    expect(idle).toHaveLength(1)
    expect(idle[0]).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    const idleId = idle[0]?.id as number

    // A second run: its ids all come after those of the first.
    const next = app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'Two' }),
      headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    })
    expect((await next).status).toBe(202)
    const second = await readSse(await follow(app, created.id, idleId)).rest()
    expect(second[0]).toMatchObject({ event: 'status', data: { status: 'Running' } })
    expect(second.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    expect(second.every((event) => event.id > idleId)).toBe(true)
    expect(increasing(second.map((event) => event.id))).toBe(true)

    // After the run: the latest status, with the run's last id.
    const after = await readSse(await follow(app, created.id)).rest()
    expect(after).toEqual([second.at(-1)])
  })

  it('replays the end of a run that finished while the client was away', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')
    const away = readSse(await follow(app, session.id))
    scripted.send('part one ')
    await away.nextEvent()
    const lastSeen = (await away.nextEvent())?.id as number
    await away.cancel()

    const watcher = readSse(await follow(app, session.id))
    scripted.send('part two')
    scripted.finish()
    // The watcher's stream ends with the run: by then the run is over.
    expect((await watcher.rest()).at(-1)).toMatchObject({ data: { status: 'Ready' } })

    const back = await readSse(await follow(app, session.id, lastSeen)).rest()
    expect(back.map((event) => event.event)).toEqual([
      'message.delta',
      'message.completed',
      'status',
    ])
    expect(deltas(back)).toEqual(['part two'])
  })

  it('sends keep-alive comments while nothing happens', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({
      agents: [scripted.agent],
      config: { eventsKeepAliveMs: 20 },
    })
    const session = await startAsync(app, 'scripted')
    const events = readSse(await follow(app, session.id))
    expect(await events.next()).toMatchObject({ kind: 'event', event: 'status' })
    expect(await events.next()).toEqual({ kind: 'comment', text: 'keep-alive' })
    scripted.finish()
    const rest = await events.rest()
    expect(rest.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
  })

  it('answers 404 for an unknown session and 422 for a bad Last-Event-ID', async () => {
    const { app } = await createTestApp()
    const missing = await follow(app, '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: 'Session not found' })

    const bad = await app.request('/sessions/5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa/events', {
      headers: { 'Last-Event-ID': 'yesterday' },
    })
    expect(bad.status).toBe(422)
    expect(await bad.json()).toEqual({
      detail: [
        {
          type: 'int_parsing',
          loc: ['header', 'Last-Event-ID'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          input: 'yesterday',
        },
      ],
    })
  })

  it('streams over a real socket: headers, the same bytes to every follower, replay, the end', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    const { port } = server.address() as AddressInfo
    try {
      const url = `http://127.0.0.1:${port}/sessions/${(await startAsync(app, 'scripted')).id}/events`
      const early = await fetch(url)
      expect(early.status).toBe(200)
      expect(early.headers.get('Content-Type')).toMatch(/^text\/event-stream/)
      expect(early.headers.get('Cache-Control')).toBe('no-cache')
      expect(early.headers.get('X-Request-Id')).toBeTruthy()
      // Set by the security middleware after the route answered.
      expect(early.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
      const earlyEvents = readSse(early)
      expect(await earlyEvents.nextEvent()).toMatchObject({ data: { status: 'Running' } })
      scripted.send('one ')
      expect(await earlyEvents.nextEvent()).toMatchObject({ data: { text: 'one ' } })
      // Joins late: the run so far first, then live, as the early one gets it.
      const late = await fetch(url)
      scripted.send('two ')
      scripted.send('three')
      scripted.finish()
      const [earlyRest, lateText] = await Promise.all([earlyEvents.rest(), late.text()])
      const lateBlocks = lateText.split('\n\n').filter((block) => block !== '')
      expect(lateBlocks.map((block) => block.split('\n')[0])).toEqual([
        'event: status',
        ...Array(3).fill('event: message.delta'),
        'event: message.completed',
        'event: status',
      ])
      expect(deltas(earlyRest)).toEqual(['two ', 'three'])
      const lateEvents = await readSse(new Response(lateText)).rest()
      expect(lateEvents.slice(2)).toEqual(earlyRest)
      expect(earlyRest.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    }
  })

  it('keeps the run going when the client disconnects (over a real socket)', async () => {
    const scripted = createScriptedAgent()
    // Tells when the server lets go of a stream's subscription.
    const inner = createInMemoryRunEvents({ retentionMs: 60_000 })
    let unsubscribed!: () => void
    const released = new Promise<void>((resolve) => {
      unsubscribed = resolve
    })
    const events: RunEvents = {
      begin: (sessionId, runId) => inner.begin(sessionId, runId),
      endAbandoned: (sessionId, runId, closing) => inner.endAbandoned(sessionId, runId, closing),
      announce: (sessionId, announced) => inner.announce(sessionId, announced),
      subscribe(sessionId, lastEventId, subscriber) {
        const subscription = inner.subscribe(sessionId, lastEventId, subscriber)
        return {
          ...subscription,
          close() {
            subscription.close()
            unsubscribed()
          },
        }
      },
    }
    const { app } = await createTestApp({ agents: [scripted.agent], events })
    let server!: ReturnType<typeof serve>
    const { port } = await new Promise<AddressInfo>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, resolve)
    })
    try {
      const base = `http://127.0.0.1:${port}`
      const session = await startAsync(app, 'scripted')
      const controller = new AbortController()
      const stream = readSse(
        await fetch(`${base}/sessions/${session.id}/events`, { signal: controller.signal }),
      )
      const running = await stream.nextEvent()
      expect(running).toMatchObject({ event: 'status', data: { status: 'Running' } })
      controller.abort()
      await released

      scripted.send('still here')
      scripted.finish()
      const events = await readSse(
        await fetch(`${base}/sessions/${session.id}/events`, {
          headers: { 'Last-Event-ID': String(running?.id) },
        }),
      ).rest()
      expect(deltas(events)).toEqual(['still here'])
      expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
      const stored = (await (await fetch(`${base}/sessions/${session.id}`)).json()) as Session
      expect(stored.status).toBe('Ready')
      expect(stored.messages.at(-1)?.text).toBe('still here')
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    }
  })
})
