/**
 * `POST /sessions/{session_id}/cancel`: stops a run, keeps what was written.
 */
import type { Session } from '@uxmate/contract'
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { readSse } from './sse-reader.ts'
import { createLlmAgent, createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function startAsync(app: App, agentId: string, text = 'Write me an essay') {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agentId, text_prompt: text }),
    headers: { Prefer: 'respond-async' },
  })
  return (await response.json()) as Session
}

const cancel = (app: App, id: string) => app.request(`/sessions/${id}/cancel`, { method: 'POST' })

const put = (app: App, id: string, text: string) =>
  app.request(`/sessions/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ text_prompt: text }),
    headers: { 'Content-Type': 'application/json' },
  })

describe('POST /sessions/{session_id}/cancel with an OpenAI-compatible provider', () => {
  let fake: FakeOpenAiServer
  beforeEach(async () => {
    fake = await startFakeOpenAiServer()
  })
  afterEach(async () => {
    await fake.close()
  })

  it('aborts the provider request, keeps the partial reply, ends Flushed; the next PUT works', async () => {
    const { app } = await createTestApp({ agents: [createLlmAgent(fake.baseUrl)] })
    const session = await startAsync(app, 'llm')
    const request = await fake.nextStream()
    request.startStream()
    request.send('The first ')
    request.send('paragraph')
    const events = readSse(await app.request(`/sessions/${session.id}/events`))
    expect((await events.nextEvent())?.data).toEqual({ status: 'Running' })
    expect((await events.nextEvent())?.data).toEqual({ text: 'The first ' })
    expect((await events.nextEvent())?.data).toEqual({ text: 'paragraph' })
    const title = await fake.nextTitle()

    const response = await cancel(app, session.id)
    expect(response.status).toBe(200)
    const cancelled = (await response.json()) as Session
    expect(cancelled.status).toBe('Flushed')
    expect(cancelled.error).toEqual({ code: 'cancelled', message: 'The run was cancelled' })
    expect(cancelled.messages.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'user', text: 'Write me an essay' },
      { role: 'assistant', text: 'The first paragraph' },
    ])
    // The provider saw both of its requests go away.
    await request.aborted
    await title.aborted

    const rest = await events.rest()
    expect(rest.map((event) => [event.event, event.data])).toEqual([
      ['message.completed', { message: cancelled.messages[1] }],
      ['error', { code: 'cancelled', message: 'The run was cancelled' }],
      ['status', { status: 'Flushed' }],
    ])
    expect((await (await app.request(`/sessions/${session.id}`)).json()) as Session).toEqual(
      cancelled,
    )

    const next = put(app, session.id, 'Go on')
    const resumed = await fake.nextStream()
    expect((resumed.body as ChatCompletionCreateParamsStreaming).messages).toEqual([
      { role: 'user', content: 'Write me an essay' },
      { role: 'assistant', content: 'The first paragraph' },
      { role: 'user', content: 'Go on' },
    ])
    resumed.startStream()
    resumed.send(' continues.')
    resumed.finish()
    const continued = (await (await next).json()) as Session
    expect(continued.status).toBe('Ready')
    expect(continued.error).toBeUndefined()
    expect(continued.messages.at(-1)?.text).toBe(' continues.')
  })

  it('cancels a run stuck in the provider retry back-off at once', async () => {
    const { app } = await createTestApp({ agents: [createLlmAgent(fake.baseUrl)] })
    const session = await startAsync(app, 'llm')
    // Asks the SDK to wait a minute before retrying: a cancel must not wait for that.
    ;(await fake.nextStream()).fail(429, 'Slow down', { 'retry-after-ms': '59000' })
    const cancelled = (await (await cancel(app, session.id)).json()) as Session
    expect(cancelled.status).toBe('Flushed')
    expect(cancelled.error?.code).toBe('cancelled')
    // Nothing was written, so there is no assistant message.
    expect(cancelled.messages.map((message) => message.role)).toEqual(['user'])
  })
})

describe('POST /sessions/{session_id}/cancel', () => {
  it('is idempotent: a session without a run is answered as it is', async () => {
    const { app } = await createTestApp()
    const created = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }),
      })
    ).json()) as Session
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await cancel(app, created.id)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual(created)
    }
  })

  it('cancels an echo run between two words, twice over', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({
      agents: [scripted.agent, createEchoAgent({ delayMs: 0 })],
    })
    const session = await startAsync(app, 'scripted')
    const events = readSse(await app.request(`/sessions/${session.id}/events`))
    scripted.send('Only ')
    await events.nextEvent()
    await events.nextEvent()
    const [first, second] = await Promise.all([cancel(app, session.id), cancel(app, session.id)])
    const bodies = [(await first?.json()) as Session, (await second?.json()) as Session]
    for (const body of bodies) {
      expect(body.status).toBe('Flushed')
      expect(body.messages.at(-1)).toMatchObject({ role: 'assistant', text: 'Only ' })
    }
    // One message kept, not two.
    expect(bodies[0]?.messages).toHaveLength(2)
  })

  it('ends Flushed without a message when nothing was written yet', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')
    const cancelled = (await (await cancel(app, session.id)).json()) as Session
    expect(cancelled.status).toBe('Flushed')
    expect(cancelled.error?.code).toBe('cancelled')
    expect(cancelled.messages).toHaveLength(1)
  })

  it('answers 404 for an unknown session of any plausible id and 422 past the id limits', async () => {
    const { app } = await createTestApp()
    const missing = await cancel(app, '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: 'Session not found' })
    expect((await cancel(app, 'not-a-uuid')).status).toBe(404)
    const malformed = await cancel(app, 'x'.repeat(129))
    expect(malformed.status).toBe(422)
    expect(
      ((await malformed.json()) as { detail: Array<{ loc: unknown }> }).detail[0]?.loc,
    ).toEqual(['path', 'session_id'])
  })

  it('keeps answering 409 to a PUT while a run is in progress', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const session = await startAsync(app, 'scripted')
    const busy = await put(app, session.id, 'Again')
    expect(busy.status).toBe(409)
    expect(((await busy.json()) as { detail: string }).detail).toMatch(/run is in progress/)
    await cancel(app, session.id)
  })
})
