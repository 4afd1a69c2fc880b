/**
 * The client against the real server app, in process (`fetch: (request) => app.fetch(request)`):
 * agents, rename, cancel, and a run followed with `streamSession`, through a dropped connection.
 */
import {
  type Agent,
  createAgentRegistry,
  createEchoAgent,
  createJsonLogger,
  createSessionsApp,
  defaultConfig,
  openSqliteStore,
} from '@uxmate/server'
import { describe, expect, it } from 'vitest'
import { createUxmateClient, type FetchLike, type SessionEvent } from '../src/index.ts'

/** An agent whose reply the test writes, chunk by chunk. */
function scriptedAgent() {
  const chunks: Array<string | null> = []
  let wake: (() => void) | undefined
  const agent: Agent = {
    profile: {
      id: 'scripted',
      name: 'Scripted',
      assistant_id: 'scripted',
      assistant_nickname: 'Scripted',
      welcome_message: '',
      user_initial_message: '',
      icon: '',
      visibility_requirements: [],
    },
    async *reply(_conversation, signal) {
      while (true) {
        const chunk = chunks.shift()
        if (chunk === null) return
        if (chunk !== undefined) {
          yield chunk
          continue
        }
        await new Promise<void>((resolve, reject) => {
          wake = resolve
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        })
      }
    },
  }
  const push = (chunk: string | null) => {
    chunks.push(chunk)
    wake?.()
  }
  return { agent, send: (text: string) => push(text), finish: () => push(null) }
}

async function setup(fetchWrapper?: (send: FetchLike) => FetchLike) {
  const store = openSqliteStore(':memory:')
  await store.migrate()
  const scripted = scriptedAgent()
  const { app } = createSessionsApp({
    store,
    agents: createAgentRegistry([createEchoAgent({ delayMs: 0 }), scripted.agent]),
    config: { ...defaultConfig, logLevel: 'silent', echoDelayMs: 0 },
    logger: createJsonLogger('silent'),
  })
  const send: FetchLike = async (request) => app.fetch(request)
  const client = createUxmateClient({
    baseUrl: 'http://uxmate.test',
    fetch: fetchWrapper ? fetchWrapper(send) : send,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
  })
  return { client, scripted }
}

describe('the client against the real server', () => {
  it('lists and gets agents, renames and cancels sessions', async () => {
    const { client } = await setup()
    const { agents } = await client.agents.getAgents()
    expect(agents.map((agent) => agent.id)).toEqual(['echo', 'scripted'])
    await expect(client.agents.getAgent('echo')).resolves.toMatchObject({ name: 'Echo' })
    await expect(client.agents.getAgent('nobody')).rejects.toMatchObject({ status: 404 })

    const session = await client.sessions.createSessionFromText({
      agent_id: 'echo',
      text_prompt: 'Hello',
    })
    const renamed = await client.sessions.renameSession(session.id, { name: 'Greeting' })
    expect(renamed.name).toBe('Greeting')
    // Nothing to cancel: the session comes back as it is.
    await expect(client.sessions.cancelSession(session.id)).resolves.toEqual(renamed)
  })

  it('organises sessions and lists them filtered, repeated parameters and all', async () => {
    const { client } = await setup()
    const open = (text_prompt: string) =>
      client.sessions.createSessionFromText({ agent_id: 'echo', text_prompt })
    const [first, second] = [await open('First'), await open('Second')]
    await client.sessions.renameSession(first.id, {
      pinned: true,
      tags: ['a', 'b'],
      metadata: { project: 'alpha' },
    })
    await client.sessions.renameSession(second.id, { tags: ['a'], archived: true })
    const page = await client.sessions.getSessions({
      agent_id: 'echo',
      tag: ['a', 'b'],
      metadata: ['project=alpha'],
      include_messages: false,
    })
    expect(page.sessions.map((s) => [s.id, s.messages, s.message_count])).toEqual([
      [first.id, [], 2],
    ])
    const archived = []
    for await (const session of client.sessions.iterateSessions({
      agent_id: 'echo',
      archived: true,
    }))
      archived.push(session.id)
    expect(archived).toEqual([second.id])
    const grouped = await client.sessions.getGroupedSessions({ pinned_group: true })
    expect(grouped.pinned?.map((s) => s.id)).toEqual([first.id])
    expect(grouped.time_to_sessions).toEqual({})
  })

  it('rates replies and pages an agent ratings', async () => {
    const { client } = await setup()
    const replies: Array<[string, string]> = []
    for (const text of ['One', 'Two', 'Three']) {
      const session = await client.sessions.createSessionFromText({
        agent_id: 'echo',
        text_prompt: text,
      })
      replies.push([session.id, session.messages.at(-1)?.id ?? ''])
    }
    for (const [sessionId, replyId] of replies)
      await client.sessions.rateMessage(sessionId, replyId, { rating: 'down', comment: 'Meh' })
    const [firstSession, firstReply] = replies[0] ?? ['', '']
    await client.sessions.rateMessage(firstSession, firstReply, { rating: 'up' })
    const read = await client.sessions.getSession(firstSession)
    expect(read.messages.at(-1)?.feedback?.rating).toBe('up')
    const seen = []
    for await (const entry of client.agents.iterateAgentFeedback('echo', { limit: 1 }))
      seen.push(entry.message_id)
    expect(seen.toSorted()).toEqual(replies.map(([, id]) => id).toSorted())
    const page = await client.agents.getAgentFeedback('echo', { rating: 'down' })
    expect(page.totals).toEqual({ up: 1, down: 2 })
    expect(page.feedback).toHaveLength(2)
    await client.sessions.deleteMessageFeedback(firstSession, firstReply)
    await expect(
      client.sessions.deleteMessageFeedback(firstSession, firstReply, { retry: false }),
    ).rejects.toMatchObject({ status: 404 })
  })

  it('streams a run to its end, and the deltas make the stored reply', async () => {
    const { client, scripted } = await setup()
    const started = await client.sessions.createSessionFromText(
      { agent_id: 'scripted', text_prompt: 'Go' },
      { respondAsync: true },
    )
    const events: SessionEvent[] = []
    for await (const event of client.sessions.streamSession(started.id)) {
      events.push(event)
      if (event.event === 'status' && event.data.status === 'Running') {
        scripted.send('Hello ')
        scripted.send('world')
        scripted.finish()
      }
    }
    const text = events.flatMap((event) =>
      event.event === 'message.delta' ? [event.data.text] : [],
    )
    const stored = await client.sessions.getSession(started.id)
    expect(text.join('')).toBe(stored.messages.at(-1)?.text)
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
  })

  it('resumes after a dropped connection and misses nothing', async () => {
    let cut = true
    const resumedFrom: Array<string | null> = []
    // The first stream breaks off after its second event, like a network failure would.
    const dropFirstStream =
      (send: FetchLike): FetchLike =>
      async (request) => {
        if (request.url.endsWith('/events')) resumedFrom.push(request.headers.get('Last-Event-ID'))
        const response = await send(request)
        if (!request.url.endsWith('/events') || !cut || !response.body) return response
        cut = false
        const reader = response.body.getReader()
        let reads = 0
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (reads++ === 2) {
              await reader.cancel()
              controller.error(new TypeError('terminated'))
              return
            }
            const { done, value } = await reader.read()
            if (done) controller.close()
            else controller.enqueue(value)
          },
        })
        return new Response(body, { status: response.status, headers: response.headers })
      }
    const { client, scripted } = await setup(dropFirstStream)
    const started = await client.sessions.createSessionFromText(
      { agent_id: 'scripted', text_prompt: 'Go' },
      { respondAsync: true },
    )
    scripted.send('one ')
    const events: SessionEvent[] = []
    for await (const event of client.sessions.streamSession(started.id)) {
      events.push(event)
      if (event.event === 'message.delta' && event.data.text === 'one ') {
        scripted.send('two ')
        scripted.send('three')
        scripted.finish()
      }
    }
    expect(cut).toBe(false)
    // Connected once, then once more from the last event of the first stream.
    expect(resumedFrom).toEqual([null, String(events[1]?.id)])
    expect(
      events.flatMap((event) => (event.event === 'message.delta' ? [event.data.text] : [])),
    ).toEqual(['one ', 'two ', 'three'])
    const ids = events.map((event) => event.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(new Set(ids).size).toBe(ids.length)
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
  })

  it('cancels a run it follows: the stream ends Flushed with the partial reply', async () => {
    const { client, scripted } = await setup()
    const started = await client.sessions.createSessionFromText(
      { agent_id: 'scripted', text_prompt: 'Go' },
      { respondAsync: true },
    )
    scripted.send('partial')
    const events: SessionEvent[] = []
    for await (const event of client.sessions.streamSession(started.id)) {
      events.push(event)
      if (event.event === 'message.delta') await client.sessions.cancelSession(started.id)
    }
    expect(events.slice(-3).map((event) => [event.event, event.data])).toEqual([
      ['message.completed', { message: expect.objectContaining({ text: 'partial' }) }],
      ['error', { code: 'cancelled', message: 'The run was cancelled' }],
      ['status', { status: 'Flushed' }],
    ])
  })
})
