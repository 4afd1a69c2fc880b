/**
 * `PATCH /sessions/{session_id}`: renaming, and how it sits with the agent's own title.
 */
import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { startFakeOpenAiServer } from './fake-openai-server.ts'
import { readSse } from './sse-reader.ts'
import { createLlmAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const rename = (app: App, id: string, body: unknown, contentType = 'application/json') =>
  app.request(`/sessions/${id}`, {
    method: 'PATCH',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': contentType },
  })

async function createEcho(app: App, text = 'Hello') {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }),
  })
  return (await response.json()) as Session
}

describe('PATCH /sessions/{session_id}', () => {
  it('renames the session, trimmed, without touching updated_at', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const response = await rename(app, session.id, { name: '  Greetings plan  ' })
    expect(response.status).toBe(200)
    const renamed = (await response.json()) as Session
    expect(renamed).toEqual({ ...session, name: 'Greetings plan' })
    expect(await (await app.request(`/sessions/${session.id}`)).json()).toEqual(renamed)
  })

  it('answers 422 for a blank, empty, overlong or missing name', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const problems = async (body: unknown) => {
      const response = await rename(app, session.id, body)
      expect(response.status).toBe(422)
      return ((await response.json()) as { detail: Array<{ type: string; loc: unknown[] }> }).detail
    }
    expect(await problems({ name: '   ' })).toMatchObject([
      { type: 'string_pattern_mismatch', loc: ['body', 'name'] },
    ])
    expect(await problems({ name: '' })).toMatchObject([
      { type: 'string_too_short', loc: ['body', 'name'] },
    ])
    expect(await problems({ name: 'x'.repeat(201) })).toMatchObject([
      { type: 'string_too_long', loc: ['body', 'name'] },
    ])
    // Every field is optional now, but something must be asked for.
    expect(await problems({})).toMatchObject([{ type: 'too_short', loc: ['body'] }])
    expect(await problems({ name: 42 })).toMatchObject([
      { type: 'string_type', loc: ['body', 'name'] },
    ])
    // The name was left alone by all of these.
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored.name).toBe('Hello')
    // 200 characters is fine.
    expect((await rename(app, session.id, { name: 'y'.repeat(200) })).status).toBe(200)
  })

  it('answers 404 for an unknown session and 415 for a body that is not JSON', async () => {
    const { app } = await createTestApp()
    const missing = await rename(app, '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa', { name: 'x' })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: 'Session not found' })
    const session = await createEcho(app)
    expect((await rename(app, session.id, 'name=x', 'text/plain')).status).toBe(415)
  })

  it("is not undone by the agent's title when renamed during the first reply", async () => {
    const fake = await startFakeOpenAiServer()
    try {
      const { app } = await createTestApp({ agents: [createLlmAgent(fake.baseUrl)] })
      const started = (await (
        await app.request('/sessions/text', {
          method: 'POST',
          body: sessionForm({ agent_id: 'llm', text_prompt: 'Plan an interview' }),
          headers: { Prefer: 'respond-async' },
        })
      ).json()) as Session
      const request = await fake.nextStream()
      request.startStream()
      request.send('Sure.')
      const title = await fake.nextTitle()
      expect((await rename(app, started.id, { name: 'Mine' })).status).toBe(200)
      title.reply('The model title')
      request.finish()
      // The event stream ends with the run.
      const events = await readSse(await app.request(`/sessions/${started.id}/events`)).rest()
      expect(events.at(-1)?.data).toEqual({ status: 'Ready' })
      const ended = (await (await app.request(`/sessions/${started.id}`)).json()) as Session
      expect(ended.name).toBe('Mine')
    } finally {
      await fake.close()
    }
  })
})
