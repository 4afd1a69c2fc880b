/**
 * `Idempotency-Key`: a retried request gets the first answer back and does nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GroupedSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { bootServer } from '../src/boot.ts'
import { defaultConfig } from '../src/config/config.ts'
import { requestFingerprint } from '../src/http/idempotency/fingerprint.ts'
import { IDEMPOTENCY_TTL_MS } from '../src/http/idempotency/idempotency.ts'
import { createJsonLogger } from '../src/logger.ts'
import { createManualClock, createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const create = (
  app: App,
  key: string | undefined,
  text = 'Hello',
  files: Parameters<typeof sessionForm>[1] = [],
  headers: Record<string, string> = {},
  agent = 'echo',
) =>
  app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agent, text_prompt: text }, files),
    headers: { ...(key === undefined ? {} : { 'Idempotency-Key': key }), ...headers },
  })

const put = (app: App, id: string, key: string, text: string, headers = {}) =>
  app.request(`/sessions/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ text_prompt: text }),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, ...headers },
  })

async function sessionCount(app: App, headers: Record<string, string> = {}) {
  const grouped = (await (
    await app.request('/sessions/grouped', { headers })
  ).json()) as GroupedSessionsResponse
  return Object.values(grouped.time_to_sessions).flat().length
}

describe('Idempotency-Key', () => {
  it('answers a repeated create with the first answer, marked replayed, and opens one session', async () => {
    const { app } = await createTestApp()
    const first = await create(app, 'key-1', 'Hello', [{ name: 'a.txt', content: 'abc' }])
    expect(first.status).toBe(200)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    const body = await first.text()

    const again = await create(app, 'key-1', 'Hello', [{ name: 'a.txt', content: 'abc' }])
    expect(again.status).toBe(200)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(again.headers.get('Content-Type')).toBe('application/json')
    expect(again.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'))
    expect(await again.text()).toBe(body)
    expect(await sessionCount(app)).toBe(1)
  })

  it('replays a 202 with its Preference-Applied, and a PUT without a second message', async () => {
    const { app } = await createTestApp()
    const accepted = await create(app, 'async', 'Later', [], { Prefer: 'respond-async' })
    expect(accepted.status).toBe(202)
    const replayed = await create(app, 'async', 'Later', [], { Prefer: 'respond-async' })
    expect(replayed.status).toBe(202)
    expect(replayed.headers.get('Preference-Applied')).toBe('respond-async')
    const session = (await replayed.json()) as Session

    await app.request(`/sessions/${session.id}/cancel`, { method: 'POST' })
    const updated = await put(app, session.id, 'put-1', 'Again')
    expect(updated.status).toBe(200)
    const retried = await put(app, session.id, 'put-1', 'Again')
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true')
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored.messages.filter((m) => m.role === 'user').map((m) => m.text)).toEqual([
      'Later',
      'Again',
    ])
  })

  it('answers 422 naming the header when the key comes back with another request', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app, 'k', 'Hello')).json()) as Session
    const expected = {
      detail: [
        {
          type: 'idempotency_key_reused',
          loc: ['header', 'Idempotency-Key'],
          msg: 'This Idempotency-Key was used for a different request (another method, path, query or body); use a new key for a new request',
          input: 'k',
        },
      ],
    }
    // Another prompt, another file, another operation on the same key: all refused.
    for (const response of [
      await create(app, 'k', 'Hello!'),
      await create(app, 'k', 'Hello', [{ name: 'a.txt', content: 'abc' }]),
      await put(app, created.id, 'k', 'Hello'),
      await app.request(`/sessions/${created.id}/cancel`, {
        method: 'POST',
        headers: { 'Idempotency-Key': 'k' },
      }),
    ]) {
      expect(response.status).toBe(422)
      expect(await response.json()).toEqual(expected)
    }
    expect(await sessionCount(app)).toBe(1)
  })

  it('tells files apart by content, name and type, not by how the form was laid out', async () => {
    const { app } = await createTestApp()
    const file = { name: 'a.txt', type: 'text/plain', content: 'abc' }
    expect((await create(app, 'f', 'Hi', [file])).status).toBe(200)
    expect((await create(app, 'f', 'Hi', [file])).headers.get('Idempotent-Replayed')).toBe('true')
    for (const changed of [
      { ...file, content: 'abd' },
      { ...file, name: 'b.txt' },
      { ...file, type: 'text/csv' },
    ])
      expect((await create(app, 'f', 'Hi', [changed])).status).toBe(422)
  })

  it('answers a retry made while the first request waits for its run with that run, done once', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const started = scripted.started()
    const first = create(app, 'slow', 'Think', [], {}, 'scripted')
    await started

    // The client gave up waiting and sent it again: this retry waits for the same run.
    const retry = create(app, 'slow', 'Think', [], {}, 'scripted')
    scripted.send('Done')
    scripted.finish()
    const [answered, retried] = await Promise.all([first, retry])
    expect(answered.status).toBe(200)
    expect(retried.status).toBe(200)
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true')
    const session = (await answered.json()) as Session
    expect(session.status).toBe('Ready')
    expect(await retried.json()).toEqual(session)
    expect(await sessionCount(app)).toBe(1)
    const replay = await create(app, 'slow', 'Think', [], {}, 'scripted')
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await replay.json()).toEqual(session)
  })

  it('answers the work it did, never an error, when its answer cannot be stored', async () => {
    let failures = 1
    const { app } = await createTestApp({
      wrapStore: (store) => ({
        ...store,
        idempotency: {
          ...store.idempotency,
          async complete(...args) {
            if (failures-- > 0) throw new Error('the disk is full')
            return store.idempotency.complete(...args)
          },
        },
      }),
    })
    const first = await create(app, 'unkept', 'Hello')
    expect(first.status).toBe(200)
    const session = (await first.json()) as Session
    // Not stored: the retry answers the session as it is now, and opens no second one.
    const retried = await create(app, 'unkept', 'Hello')
    expect(retried.status).toBe(200)
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true')
    expect(((await retried.json()) as Session).id).toBe(session.id)
    expect(await sessionCount(app)).toBe(1)
  })

  it('does the work of a request that failed before its work was stored, once, on retry', async () => {
    let failures = 1
    const { app } = await createTestApp({
      wrapStore: (store) => ({
        ...store,
        async createSession(input) {
          if (failures-- > 0) throw new Error('the database went away')
          return store.createSession(input)
        },
      }),
    })
    expect((await create(app, 'failed', 'Hello')).status).toBe(500)
    expect(await sessionCount(app)).toBe(0)
    const retried = await create(app, 'failed', 'Hello')
    expect(retried.status).toBe(200)
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull()
    expect((await create(app, 'failed', 'Hello')).headers.get('Idempotent-Replayed')).toBe('true')
    expect(await sessionCount(app)).toBe(1)
  })

  it('keeps no error answer: after a 404 or a 409 the same key may succeed', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    expect((await create(app, 'e', 'Hi', [], {}, 'nobody')).status).toBe(404)

    const started = scripted.started()
    const busy = (await (
      await create(app, undefined, 'Go', [], { Prefer: 'respond-async' }, 'scripted')
    ).json()) as Session
    await started
    expect((await put(app, busy.id, 'p', 'More')).status).toBe(409)
    await app.request(`/sessions/${busy.id}/cancel`, { method: 'POST' })
    const accepted = await put(app, busy.id, 'p', 'More', { Prefer: 'respond-async' })
    expect(accepted.status).toBe(202)
    expect(accepted.headers.get('Idempotent-Replayed')).toBeNull()
    await app.request(`/sessions/${busy.id}/cancel`, { method: 'POST' })
  })

  it('keeps keys apart per owner', async () => {
    const keys = { uxm_a: 'a', uxm_b: 'b' }
    const { app } = await createTestApp({ apiKeys: keys })
    const a = { Authorization: 'Bearer uxm_a' }
    const b = { Authorization: 'Bearer uxm_b' }
    expect((await create(app, 'shared', 'From a', [], a)).status).toBe(200)
    const fromB = await create(app, 'shared', 'From b', [], b)
    expect(fromB.status).toBe(200)
    expect(fromB.headers.get('Idempotent-Replayed')).toBeNull()
    expect(await sessionCount(app, a)).toBe(1)
    expect(await sessionCount(app, b)).toBe(1)
  })

  it('forgets a key after 24 hours', async () => {
    const clock = createManualClock()
    const { app } = await createTestApp({ clock })
    await create(app, 'old', 'Hello')
    clock.advance(IDEMPOTENCY_TTL_MS - 1)
    expect((await create(app, 'old', 'Hello')).headers.get('Idempotent-Replayed')).toBe('true')
    clock.advance(2)
    const fresh = await create(app, 'old', 'Another request')
    expect(fresh.status).toBe(200)
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull()
  })

  it('answers a cancel sent again with the first one, and never stops a later run', async () => {
    const scripted = createScriptedAgent()
    const { app } = await createTestApp({ agents: [scripted.agent] })
    const started = scripted.started()
    const session = (await (
      await create(app, undefined, 'Go', [], { Prefer: 'respond-async' }, 'scripted')
    ).json()) as Session
    await started
    const cancel = () =>
      app.request(`/sessions/${session.id}/cancel`, {
        method: 'POST',
        headers: { 'Idempotency-Key': 'stop' },
      })
    const stopped = await cancel()
    expect(((await stopped.json()) as Session).status).toBe('Flushed')
    const next = scripted.started()
    expect((await put(app, session.id, 'next', 'More', { Prefer: 'respond-async' })).status).toBe(
      202,
    )
    await next
    const again = await cancel()
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    const current = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(current.status).toBe('Running')
    await app.request(`/sessions/${session.id}/cancel`, { method: 'POST' })
  })

  it('refuses a key that is empty, too long or not printable ASCII (422)', async () => {
    const { app } = await createTestApp()
    for (const key of ['', 'x'.repeat(256), 'tab\there', 'clé']) {
      const response = await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Hi' }),
        headers: { 'Idempotency-Key': key },
      })
      expect(response.status, key).toBe(422)
      const detail = ((await response.json()) as { detail: Array<{ loc: string[] }> }).detail
      expect(detail[0]?.loc).toEqual(['header', 'Idempotency-Key'])
    }
    expect((await create(app, 'x'.repeat(255), 'Hi')).status).toBe(200)
    expect((await create(app, 'with inner spaces', 'Hi')).status).toBe(200)
  })

  it('replays a delete as 204, and deleting a session deletes its stored answers', async () => {
    const { app } = await createTestApp()
    const created = (await (await create(app, 'c', 'Secret plan')).json()) as Session
    const del = () =>
      app.request(`/sessions/${created.id}`, {
        method: 'DELETE',
        headers: { 'Idempotency-Key': 'd' },
      })
    expect((await del()).status).toBe(204)
    const again = await del()
    expect(again.status).toBe(204)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await again.text()).toBe('')
    // The create's stored answer held the session: it is gone, and the key runs afresh.
    const recreated = await create(app, 'c', 'Secret plan')
    expect(recreated.headers.get('Idempotent-Replayed')).toBeNull()
    expect(((await recreated.json()) as Session).id).not.toBe(created.id)
  })

  it('remembers keys across a restart, and answers those whose answer a crash cut off', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'uxmate-idempotency-'))
    const config = {
      ...defaultConfig,
      dataDir,
      logLevel: 'silent' as const,
      shutdownTimeoutMs: 0,
      echoDelayMs: 0,
    }
    try {
      const first = await bootServer(config, createJsonLogger('silent'))
      const answered = await create(first.app, 'durable', 'Keep me')
      const body = await answered.text()
      // A create whose work was stored with its key, and whose process died before it answered.
      const now = new Date()
      await first.store.createSession({
        id: 'cut-off-session',
        owner: 'anonymous',
        agentId: 'echo',
        name: 'Cut off',
        now,
        message: { id: 'cut-off-message', text: 'Cut off', files: [] },
        run: { runId: 'cut-off-run', instance: 'gone', leaseExpiresAt: now },
        key: {
          owner: 'anonymous',
          key: 'cut-off',
          fingerprint: requestFingerprint({
            method: 'POST',
            path: '/sessions/text',
            body: { agent_id: 'echo', text_prompt: 'Cut off', files: [] },
          }),
          now,
          expiredBefore: new Date(0),
          status: 200,
          headers: {},
          sessionId: 'cut-off-session',
          after: { runId: 'cut-off-run', action: 'wait' },
        },
      })
      await first.store.close()

      const second = await bootServer(config, createJsonLogger('silent'))
      const replayed = await create(second.app, 'durable', 'Keep me')
      expect(replayed.headers.get('Idempotent-Replayed')).toBe('true')
      expect(await replayed.text()).toBe(body)
      const resumed = await create(second.app, 'cut-off', 'Cut off')
      expect(resumed.status).toBe(200)
      expect(resumed.headers.get('Idempotent-Replayed')).toBe('true')
      expect(await resumed.json()).toMatchObject({ id: 'cut-off-session', status: 'Flushed' })
      expect(await sessionCount(second.app)).toBe(2)
      await second.close()
      await first.close()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
