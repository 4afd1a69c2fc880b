import { createHash } from 'node:crypto'
import type { GetSessionsResponse, GroupedSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createControlledAgent, createTestApp, sessionForm } from './test-app.ts'

const json = (body: unknown) => ({
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' },
})

async function create(
  app: Awaited<ReturnType<typeof createTestApp>>['app'],
  fields: { agent_id?: string; text_prompt?: string } = { agent_id: 'echo', text_prompt: 'Hello' },
  files: Parameters<typeof sessionForm>[1] = [],
  headers: Record<string, string> = {},
) {
  return app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm(fields, files),
    headers,
  })
}

describe('POST /sessions/text', () => {
  it('creates a session, runs the agent and answers Ready with both messages', async () => {
    const { app } = await createTestApp()
    const response = await create(app)
    expect(response.status).toBe(200)
    expect(response.headers.get('X-Request-Id')).toBeTruthy()
    const session = (await response.json()) as Session
    expect(session).toMatchObject({
      agent_id: 'echo',
      name: 'Hello',
      status: 'Ready',
      routine_id: null,
      messages: [
        { role: 'user', text: 'Hello' },
        { role: 'assistant', text: 'You said: Hello' },
      ],
    })
    expect(session.error).toBeUndefined()
    expect(session.messages[0]?.files).toBeUndefined()
  })

  it.each([1, 3])('stores %i attached files with their metadata, for download', async (count) => {
    const { app } = await createTestApp()
    const files = Array.from({ length: count }, (_, i) => ({
      name: `notes-${i}.txt`,
      type: 'text/plain',
      content: `file number ${i}`,
    }))
    const session = (await (await create(app, undefined, files)).json()) as Session
    const stored = session.messages[0]?.files ?? []
    expect(stored.map((file) => file.name)).toEqual(files.map((file) => file.name))
    expect(session.messages[1]?.text).toBe(
      `You said: Hello (files: ${files.map((file) => file.name).join(', ')})`,
    )
    for (const [i, file] of stored.entries()) {
      const content = `file number ${i}`
      expect(file).toMatchObject({
        content_type: 'text/plain',
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        url: `/sessions/${session.id}/files/${file.id}`,
      })
      const download = await app.request(file.url)
      expect(download.status).toBe(200)
      expect(download.headers.get('Content-Type')).toBe('text/plain')
      expect(download.headers.get('Content-Disposition')).toBe(
        `attachment; filename="notes-${i}.txt"; filename*=UTF-8''notes-${i}.txt`,
      )
      expect(download.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(await download.text()).toBe(content)
    }
  })

  it('serves risky uploaded types as octet-stream attachments', async () => {
    const { app } = await createTestApp()
    const files = [{ name: 'page.html', type: 'text/html', content: '<script>alert(1)</script>' }]
    const session = (await (await create(app, undefined, files)).json()) as Session
    const url = session.messages[0]?.files?.[0]?.url as string
    const download = await app.request(url)
    expect(download.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(download.headers.get('Content-Disposition')).toMatch(/^attachment;/)
  })

  it('answers 202 Running at once with Prefer: respond-async', async () => {
    const slow = createControlledAgent()
    const { app } = await createTestApp({ agents: [slow.agent] })
    const response = await create(app, { agent_id: 'slow', text_prompt: 'Think hard' }, [], {
      Prefer: 'respond-async',
    })
    expect(response.status).toBe(202)
    expect(response.headers.get('Preference-Applied')).toBe('respond-async')
    const session = (await response.json()) as Session
    expect(session.status).toBe('Running')
    slow.answer('Done')
  })

  it('answers 200 still Running when the run outlasts the wait', async () => {
    const slow = createControlledAgent()
    const { app } = await createTestApp({ agents: [slow.agent], config: { runWaitMs: 20 } })
    const response = await create(app, { agent_id: 'slow', text_prompt: 'Think hard' })
    expect(response.status).toBe(200)
    expect(((await response.json()) as Session).status).toBe('Running')
    slow.answer('Done')
  })

  it('answers 404 for an unknown agent and stores nothing', async () => {
    const { app } = await createTestApp()
    const response = await create(app, { agent_id: 'nobody', text_prompt: 'Hello' })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ detail: 'Agent not found' })
    const grouped = (await (
      await app.request('/sessions/grouped')
    ).json()) as GroupedSessionsResponse
    expect(grouped.time_to_sessions).toEqual({})
  })

  it('answers 422 in FastAPI shape for a missing field', async () => {
    const { app } = await createTestApp()
    const response = await create(app, { agent_id: 'echo' })
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      detail: [
        { type: 'missing', loc: ['body', 'text_prompt'], msg: 'Field required', input: null },
      ],
    })
  })

  it('answers 415 for a body that is not multipart', async () => {
    const { app } = await createTestApp()
    const response = await app.request('/sessions/text', {
      method: 'POST',
      ...json({ agent_id: 'echo', text_prompt: 'Hello' }),
    })
    expect(response.status).toBe(415)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/multipart\/form-data/)
  })

  it('ends the run Flushed with the error when the agent fails', async () => {
    const failing = createControlledAgent('failing')
    const { app } = await createTestApp({ agents: [failing.agent] })
    const pending = create(app, { agent_id: 'failing', text_prompt: 'Hello' })
    await new Promise((resolve) => setTimeout(resolve, 10))
    failing.fail(new Error('model overloaded'))
    const session = (await (await pending).json()) as Session
    expect(session.status).toBe('Flushed')
    expect(session.error).toEqual({
      code: 'agent_error',
      // The agent's own words are for the log: users get a fixed message.
      message: 'The agent failed',
    })
    expect(session.messages).toHaveLength(1)
  })

  it('ends the run Flushed with code timeout when the agent is too slow', async () => {
    const slow = createControlledAgent()
    const { app } = await createTestApp({ agents: [slow.agent], config: { runTimeoutMs: 20 } })
    const session = (await (
      await create(app, { agent_id: 'slow', text_prompt: 'Hello' })
    ).json()) as Session
    expect(session.status).toBe('Flushed')
    expect(session.error?.code).toBe('timeout')
  })
})

describe('GET /sessions/{session_id}', () => {
  it('returns the stored session', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const response = await app.request(`/sessions/${created.id}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(created)
  })

  it('answers 404 for an unknown id of any plausible shape, 422 past the documented limits', async () => {
    const { app } = await createTestApp()
    for (const id of [
      '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
      'no-such-session',
      'imported:42',
      'x'.repeat(128),
    ]) {
      const missing = await app.request(`/sessions/${id}`)
      expect(missing.status, id).toBe(404)
      expect(await missing.json()).toEqual({ detail: 'Session not found' })
    }
    for (const id of ['x'.repeat(129), 'a%20b', '..x']) {
      const malformed = await app.request(`/sessions/${id}`)
      expect(malformed.status, id).toBe(422)
      const body = (await malformed.json()) as { detail: Array<{ loc: unknown[] }> }
      expect(body.detail[0]?.loc).toEqual(['path', 'session_id'])
    }
  })

  it('compares ids as they are: a UUID in capitals is another id', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    expect((await app.request(`/sessions/${created.id.toUpperCase()}`)).status).toBe(404)
  })

  it('answers 404 for an unknown file id of any plausible shape', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const missing = await app.request(`/sessions/${created.id}/files/not-a-file`)
    expect(missing.status).toBe(404)
    const malformed = await app.request(`/sessions/${created.id}/files/${'f'.repeat(129)}`)
    expect(malformed.status).toBe(422)
  })
})

describe('PUT /sessions/{session_id}', () => {
  it('appends the prompt, runs the agent and answers Ready', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const response = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      ...json({ text_prompt: 'Again' }),
    })
    expect(response.status).toBe(200)
    const session = (await response.json()) as Session
    expect(session.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'Hello'],
      ['assistant', 'You said: Hello'],
      ['user', 'Again'],
      ['assistant', 'You said: Again'],
    ])
    expect(session.name).toBe('Hello')
    expect(Date.parse(session.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at))
  })

  it('answers 409 while a run is in progress, then accepts the next prompt', async () => {
    const slow = createControlledAgent()
    const { app } = await createTestApp({ agents: [slow.agent] })
    const created = (await (
      await create(app, { agent_id: 'slow', text_prompt: 'One' }, [], { Prefer: 'respond-async' })
    ).json()) as Session
    const busy = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      ...json({ text_prompt: 'Two' }),
    })
    expect(busy.status).toBe(409)
    expect(((await busy.json()) as { detail: string }).detail).toMatch(/run is in progress/)
    slow.answer('First answer')
    await new Promise((resolve) => setTimeout(resolve, 10))
    const next = app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      ...json({ text_prompt: 'Two' }),
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    slow.answer('Second answer')
    const session = (await (await next).json()) as Session
    expect(session.status).toBe('Ready')
    expect(session.messages.map((m) => m.text)).toEqual([
      'One',
      'First answer',
      'Two',
      'Second answer',
    ])
  })

  it('accepts a new prompt on a Flushed session and clears the error', async () => {
    const failing = createControlledAgent('failing')
    const { app } = await createTestApp({ agents: [failing.agent] })
    const created = (await (
      await create(app, { agent_id: 'failing', text_prompt: 'One' }, [], {
        Prefer: 'respond-async',
      })
    ).json()) as Session
    failing.fail(new Error('boom'))
    await new Promise((resolve) => setTimeout(resolve, 10))
    const next = app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      ...json({ text_prompt: 'Two' }),
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    failing.answer('Recovered')
    const session = (await (await next).json()) as Session
    expect(session.status).toBe('Ready')
    expect(session.error).toBeUndefined()
  })

  it('answers 202 with Prefer: respond-async', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const response = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'Again' }),
      headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    })
    expect(response.status).toBe(202)
    expect(response.headers.get('Preference-Applied')).toBe('respond-async')
    expect(((await response.json()) as Session).status).toBe('Running')
  })

  it('answers 404 for an unknown session', async () => {
    const { app } = await createTestApp()
    const response = await app.request('/sessions/0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d', {
      method: 'PUT',
      ...json({ text_prompt: 'Hello' }),
    })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ detail: 'Session not found' })
  })

  it.each([
    ['a blank prompt', { text_prompt: '   ' }],
    ['a missing prompt', {}],
    ['a prompt of the wrong type', { text_prompt: 42 }],
  ])('answers 422 for %s and stores nothing', async (_, body) => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const response = await app.request(`/sessions/${created.id}`, { method: 'PUT', ...json(body) })
    expect(response.status).toBe(422)
    const error = (await response.json()) as { detail: Array<{ loc: unknown[] }> }
    expect(error.detail[0]?.loc).toEqual(['body', 'text_prompt'])
    const stored = (await (await app.request(`/sessions/${created.id}`)).json()) as Session
    expect(stored.messages).toHaveLength(2)
  })

  it('answers 422 for malformed JSON and 415 for a body that is not JSON', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app)).json()) as Session
    const malformed = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      body: '{"text_prompt": ',
      headers: { 'Content-Type': 'application/json' },
    })
    expect(malformed.status).toBe(422)
    expect(((await malformed.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe(
      'json_invalid',
    )
    const text = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      body: 'text_prompt=hi',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expect(text.status).toBe(415)
  })
})

describe('GET /sessions', () => {
  it("lists an agent's sessions, newest first, a page at a time", async () => {
    let tick = Date.parse('2026-11-26T10:00:00Z')
    const { app } = await createTestApp({
      clock: {
        now: () => {
          tick += 1000
          return new Date(tick)
        },
      },
      agents: [createEchoAgent({ delayMs: 0 }), createEchoAgentWithId('other')],
    })
    for (let i = 0; i < 5; i++) await create(app, { agent_id: 'echo', text_prompt: `Prompt ${i}` })
    await create(app, { agent_id: 'other', text_prompt: 'Elsewhere' })

    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const query = new URLSearchParams({ agent_id: 'echo', limit: '2' })
      if (cursor) query.set('cursor', cursor)
      const response = await app.request(`/sessions?${query}`)
      expect(response.status).toBe(200)
      const page = (await response.json()) as GetSessionsResponse
      seen.push(...page.sessions.map((s) => s.name))
      cursor = page.next_cursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(['Prompt 4', 'Prompt 3', 'Prompt 2', 'Prompt 1', 'Prompt 0'])
  })

  it('defaults to 50 a page with every message and omits next_cursor on the last page', async () => {
    const { app } = await createTestApp()
    await create(app)
    const page = (await (
      await app.request('/sessions?agent_id=echo')
    ).json()) as GetSessionsResponse
    expect(page.sessions).toHaveLength(1)
    expect(page.sessions[0]?.messages).toHaveLength(2)
    expect(page).not.toHaveProperty('next_cursor')
  })

  it('answers 422 for a missing agent_id, a bad limit or a forged cursor', async () => {
    const { app } = await createTestApp()
    const missing = await app.request('/sessions')
    expect(missing.status).toBe(422)
    expect(await missing.json()).toEqual({
      detail: [{ type: 'missing', loc: ['query', 'agent_id'], msg: 'Field required', input: null }],
    })
    for (const limit of ['0', '201', 'ten']) {
      const response = await app.request(`/sessions?agent_id=echo&limit=${limit}`)
      expect(response.status).toBe(422)
    }
    const forged = await app.request('/sessions?agent_id=echo&cursor=bm9wZQ')
    expect(forged.status).toBe(422)
    expect(((await forged.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]?.loc).toEqual(
      ['query', 'cursor'],
    )
  })

  it('answers 404 for an unknown agent', async () => {
    const { app } = await createTestApp()
    const response = await app.request('/sessions?agent_id=nobody')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ detail: 'Agent not found' })
  })
})

describe('GET /sessions/grouped', () => {
  it('groups the most recent sessions by recency in the given zone', async () => {
    const times = [
      '2026-09-12T08:00:00Z',
      '2026-10-02T08:00:00Z',
      '2026-11-20T08:00:00Z',
      '2026-11-25T08:00:00Z',
      '2026-11-26T08:00:00Z',
    ]
    let index = 0
    let now = new Date('2026-11-26T09:00:00Z')
    const { app } = await createTestApp({ clock: { now: () => now } })
    for (const time of times) {
      now = new Date(time)
      await create(app, { agent_id: 'echo', text_prompt: `Session ${index++}` })
    }
    now = new Date('2026-11-26T09:00:00Z')
    const response = await app.request('/sessions/grouped?tz=Europe/Paris')
    expect(response.status).toBe(200)
    const { time_to_sessions } = (await response.json()) as GroupedSessionsResponse
    expect(Object.keys(time_to_sessions)).toEqual([
      'Today',
      'Yesterday',
      'Previous 7 Days',
      '2026-10',
      '2026-09',
    ])
    expect(time_to_sessions.Today?.[0]).toMatchObject({
      name: 'Session 4',
      agent: { id: 'echo', name: 'Echo' },
    })

    const limited = (await (
      await app.request('/sessions/grouped?limit=2')
    ).json()) as GroupedSessionsResponse
    expect(Object.values(limited.time_to_sessions).flat()).toHaveLength(2)

    const filtered = (await (
      await app.request('/sessions/grouped?agent_id=other')
    ).json()) as GroupedSessionsResponse
    expect(filtered.time_to_sessions).toEqual({})
  })

  it('answers 422 for an unknown time zone or a bad limit', async () => {
    const { app } = await createTestApp()
    const zone = await app.request('/sessions/grouped?tz=Mars/Olympus')
    expect(zone.status).toBe(422)
    const body = (await zone.json()) as { detail: Array<{ loc: unknown[]; msg: string }> }
    expect(body.detail[0]?.loc).toEqual(['query', 'tz'])
    expect(body.detail[0]?.msg).toMatch(/Mars\/Olympus/)
    expect((await app.request('/sessions/grouped?limit=1001')).status).toBe(422)
  })
})

describe('GET /sessions/{session_id}/files/{file_id}', () => {
  it('answers 404 for a file of another session or an unknown id, and 422 past the id limits', async () => {
    const { app } = await createTestApp()
    const withFile = (await (
      await create(app, undefined, [{ name: 'a.txt', content: 'a' }])
    ).json()) as Session
    const other = (await (await create(app)).json()) as Session
    const fileId = withFile.messages[0]?.files?.[0]?.id
    const response = await app.request(`/sessions/${other.id}/files/${fileId}`)
    expect(response.status).toBe(404)
    expect((await app.request(`/sessions/${other.id}/files/x`)).status).toBe(404)
    expect((await app.request(`/sessions/${other.id}/files/.x`)).status).toBe(422)
  })
})

describe('service routes', () => {
  it('answers /health and /ready, and /ready fails once shutdown starts', async () => {
    const { app, shutdown } = await createTestApp()
    expect(await (await app.request('/health')).json()).toEqual({ status: 'ok' })
    const ready = await app.request('/ready')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { store: 'ok', migrations: 'ok' },
    })
    await shutdown(0)
    expect((await app.request('/ready')).status).toBe(503)
  })

  it('keeps a valid caller X-Request-Id and replaces an invalid one', async () => {
    const { app } = await createTestApp()
    const kept = await app.request('/health', { headers: { 'X-Request-Id': 'abc-123' } })
    expect(kept.headers.get('X-Request-Id')).toBe('abc-123')
    const replaced = await app.request('/health', { headers: { 'X-Request-Id': 'a b' } })
    expect(replaced.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('serves the spec as YAML and JSON', async () => {
    const { app } = await createTestApp()
    const yaml = await app.request('/openapi.yaml')
    expect(yaml.headers.get('Content-Type')).toMatch(/yaml/)
    expect(await yaml.text()).toMatch(/^openapi: 3\.1\.0/)
    const document = (await (await app.request('/openapi.json')).json()) as { openapi: string }
    expect(document.openapi).toBe('3.1.0')
  })

  it('answers unknown paths with 404 in FastAPI shape', async () => {
    const { app } = await createTestApp()
    const response = await app.request('/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ detail: 'Not Found' })
  })
})

function createEchoAgentWithId(id: string) {
  const echo = createEchoAgent({ delayMs: 0 })
  return { ...echo, profile: { ...echo.profile, id, name: id } }
}
