/**
 * API keys and owners: who may call the API, and who sees which sessions.
 */
import type { GetSessionsResponse, GroupedSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const keys = { 'uxm_key-of-a': 'team-a', 'uxm_key-of-b': 'team-b' }
const as = (key: string) => ({ Authorization: `Bearer ${key}` })

async function createAs(app: App, key: string | undefined, text = 'Hello', agent = 'echo') {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agent, text_prompt: text }, [{ name: 'a.txt', content: text }]),
    headers: key === undefined ? {} : as(key),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Session
}

describe('open mode (no API keys)', () => {
  it('serves every request as the anonymous owner, whatever Authorization says', async () => {
    const { app, store } = await createTestApp()
    const created = await createAs(app, undefined)
    expect((await store.getSession('anonymous', created.id))?.id).toBe(created.id)
    // A client configured with a key still works against an open server.
    const read = await app.request(`/sessions/${created.id}`, { headers: as('uxm_whatever') })
    expect(read.status).toBe(200)
  })
})

describe('with API keys', () => {
  it('answers 401 Not authenticated, with WWW-Authenticate, without a key or with a wrong one', async () => {
    const { app } = await createTestApp({ apiKeys: keys })
    for (const [headers, challenge] of [
      [{}, 'Bearer'],
      [as('uxm_not-a-key'), 'Bearer error="invalid_token"'],
      [{ Authorization: 'uxm_key-of-a' }, 'Bearer error="invalid_token"'],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, 'Bearer error="invalid_token"'],
      [{ Authorization: 'Bearer' }, 'Bearer error="invalid_token"'],
    ] as const) {
      const response = await app.request('/sessions?agent_id=echo', { headers })
      expect(response.status, JSON.stringify(headers)).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toBe(challenge)
      expect(await response.json()).toEqual({ detail: 'Not authenticated' })
    }
  })

  it('checks the key before reading the body: no 422 or 413 for a caller without one', async () => {
    const { app } = await createTestApp({ apiKeys: keys })
    const response = await app.request('/sessions/text', {
      method: 'POST',
      body: 'not a form at all',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(response.status).toBe(401)
  })

  it('takes the scheme in any case and the key as sent', async () => {
    const { app } = await createTestApp({ apiKeys: keys })
    for (const authorization of [
      'Bearer uxm_key-of-a',
      'bearer uxm_key-of-a',
      'BEARER  uxm_key-of-a',
    ])
      expect(
        (await app.request('/agents', { headers: { Authorization: authorization } })).status,
      ).toBe(200)
  })

  it('keeps the probes, the spec and the docs open', async () => {
    const { app } = await createTestApp({ apiKeys: keys })
    for (const path of ['/health', '/ready', '/openapi.json', '/openapi.yaml', '/docs'])
      expect((await app.request(path)).status, path).toBe(200)
  })

  it("hides each owner's sessions, messages, files and events from every other owner", async () => {
    const { app } = await createTestApp({ apiKeys: keys })
    const mine = await createAs(app, 'uxm_key-of-a', 'Mine')
    const theirs = await createAs(app, 'uxm_key-of-b', 'Theirs')
    const file = mine.messages[0]?.files?.[0]?.url as string
    const b = as('uxm_key-of-b')
    const json = { ...b, 'Content-Type': 'application/json' }

    const attempts: Array<[string, RequestInit]> = [
      [`/sessions/${mine.id}`, { headers: b }],
      [`/sessions/${mine.id}`, { method: 'PUT', headers: json, body: '{"text_prompt":"Hi"}' }],
      [`/sessions/${mine.id}`, { method: 'PATCH', headers: json, body: '{"name":"Taken"}' }],
      [`/sessions/${mine.id}/cancel`, { method: 'POST', headers: b }],
      [`/sessions/${mine.id}/events`, { headers: b }],
      [file, { headers: b }],
      [`/sessions/${mine.id}`, { method: 'DELETE', headers: b }],
    ]
    for (const [path, init] of attempts) {
      const response = await app.request(path, init)
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBe(404)
    }

    const listed = (await (
      await app.request('/sessions?agent_id=echo', { headers: b })
    ).json()) as GetSessionsResponse
    expect(listed.sessions.map((s) => s.id)).toEqual([theirs.id])
    const grouped = (await (
      await app.request('/sessions/grouped', { headers: b })
    ).json()) as GroupedSessionsResponse
    expect(
      Object.values(grouped.time_to_sessions)
        .flat()
        .map((s) => s.id),
    ).toEqual([theirs.id])

    // Nothing of it changed: the owner still finds it whole.
    const after = (await (
      await app.request(`/sessions/${mine.id}`, { headers: as('uxm_key-of-a') })
    ).json()) as Session
    expect(after).toEqual(mine)
  })

  it('lets the owner do everything with their own session', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ apiKeys: keys, agents: [scripted.agent] })
    const a = as('uxm_key-of-a')
    const started = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'scripted', text_prompt: 'Go' }),
      headers: { ...a, Prefer: 'respond-async' },
    })
    const session = (await started.json()) as Session
    const cancelled = await app.request(`/sessions/${session.id}/cancel`, {
      method: 'POST',
      headers: a,
    })
    expect(((await cancelled.json()) as Session).error?.code).toBe('cancelled')
    const events = await app.request(`/sessions/${session.id}/events`, { headers: a })
    expect(await events.text()).toContain('"status":"Flushed"')
    expect(
      (await app.request(`/sessions/${session.id}`, { method: 'DELETE', headers: a })).status,
    ).toBe(204)
  })
})
