/**
 * A turn sent while the session is busy, by its `on_busy`: `reject` (409 naming the run and its
 * events), `interrupt` (the run cancelled, its partial reply kept, then the turn) on continue,
 * regenerate, edit and the AI SDK chat; racing interrupts start one run. On SQLite and on
 * PostgreSQL.
 */
import type { Session, SessionBusyResponse } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionsApp } from '../src/boot.ts'
import { defaultConfig } from '../src/config/config.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { ANONYMOUS_OWNER } from '../src/domain/session-store.ts'
import { createJsonLogger } from '../src/logger.ts'
import { readSse } from './sse-reader.ts'
import { storeDatabases } from './support/store-databases.ts'
import { createScriptedAgent, sessionForm } from './test-app.ts'

const json = { 'Content-Type': 'application/json' }

describe.each(storeDatabases())('on_busy on $name', (databases) => {
  beforeAll(() => databases.setUp(), 120_000)
  afterAll(() => databases.tearDown(), 60_000)

  /** An app on a new database of the dialect, with a scripted agent the test answers for. */
  async function busyApp() {
    const store: SessionStore = (await databases.newDatabase()).open()
    await store.migrate()
    const scripted = createScriptedAgent()
    const { app, shutdown } = createSessionsApp({
      store,
      agents: createAgentRegistry([scripted.agent]),
      config: { ...defaultConfig, logLevel: 'silent', rateLimitPerSecond: 0 },
      logger: createJsonLogger('silent'),
    })
    const request = (path: string, init: RequestInit = {}) => app.request(path, init)
    /** The run in progress writes `text`; resolves once it is published. */
    const write = async (id: string, text: string) => {
      const events = readSse(await request(`/sessions/${id}/events`))
      scripted.send(text)
      for (let event = await events.nextEvent(); event; event = await events.nextEvent())
        if (event.event === 'message.delta' && (event.data as { text: string }).text === text) break
      await events.cancel()
    }
    /** A session whose first run has written `partial` and goes on. */
    const running = async () => {
      const started = scripted.started()
      const created = await request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'scripted', text_prompt: 'First question' }),
        headers: { Prefer: 'respond-async' },
      })
      expect(created.status).toBe(202)
      const session = (await created.json()) as Session
      await started
      await write(session.id, 'partial')
      return session
    }
    /** A session with one full exchange, then a run that has written `partial`. */
    const answeredThenRunning = async () => {
      const session = await running()
      scripted.finish()
      await waitFor(request, session.id, (s) => s.status === 'Ready')
      const started = scripted.started()
      const put = await continueTurn(request, session.id, 'Second question')
      expect(put.status).toBe(202)
      await started
      await write(session.id, 'partial')
      return (await (await request(`/sessions/${session.id}`)).json()) as Session
    }
    const close = async () => {
      scripted.finish()
      await shutdown(1_000)
      await store.close()
    }
    return { store, scripted, request, write, running, answeredThenRunning, close }
  }

  it('rejects by default: 409 naming the run in progress and where to follow it', async () => {
    const { store, request, running, close } = await busyApp()
    try {
      const session = await running()
      for (const on_busy of ['', '?on_busy=reject']) {
        const refused = await continueTurn(request, session.id, 'Another', on_busy)
        expect(refused.status).toBe(409)
        const body = (await refused.json()) as SessionBusyResponse
        const header = await store.getSessionHeader(ANONYMOUS_OWNER, session.id)
        expect(body).toEqual({
          detail: 'A run is in progress for this session; wait until it leaves Running',
          run_id: header?.run?.runId,
          events_url: `/sessions/${session.id}/events`,
        })
        expect(body.run_id).toEqual(expect.any(String))
        const events = readSse(await request(body.events_url ?? ''))
        expect((await events.nextEvent())?.data).toEqual({ status: 'Running' })
        await events.cancel()
      }
      const stored = (await (await request(`/sessions/${session.id}`)).json()) as Session
      expect(stored.messages.map((m) => m.text)).toEqual(['First question'])
    } finally {
      await close()
    }
  })

  it('refuses an unknown policy with 422 before anything is stored', async () => {
    const { request, running, close } = await busyApp()
    try {
      const session = await running()
      const refused = await continueTurn(request, session.id, 'Another', '?on_busy=later')
      expect(refused.status).toBe(422)
      const body = (await refused.json()) as { detail: Array<{ loc: unknown[] }> }
      expect(body.detail[0]?.loc).toEqual(['query', 'on_busy'])
    } finally {
      await close()
    }
  })

  it('interrupts a continue: the run cancelled with its partial reply, then the new turn', async () => {
    const { request, running, scripted, close } = await busyApp()
    try {
      const session = await running()
      const started = scripted.started()
      const answer = await continueTurn(request, session.id, 'Never mind', '?on_busy=interrupt')
      expect(answer.status).toBe(202)
      const interrupted = (await answer.json()) as Session
      expect(interrupted.status).toBe('Running')
      expect(interrupted.messages.map(({ role, text }) => [role, text])).toEqual([
        ['user', 'First question'],
        ['assistant', 'partial'],
        ['user', 'Never mind'],
      ])
      await started
      scripted.send('Done')
      scripted.finish()
      const ended = await waitFor(request, session.id, (s) => s.status === 'Ready')
      expect(ended.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'Never mind',
        'Done',
      ])
    } finally {
      await close()
    }
  })

  it('interrupts with a turn that waits: answers once the new run ended', async () => {
    const { request, running, scripted, close } = await busyApp()
    try {
      const session = await running()
      const started = scripted.started()
      const pending = request(`/sessions/${session.id}?on_busy=interrupt`, {
        method: 'PUT',
        body: JSON.stringify({ text_prompt: 'Again' }),
        headers: json,
      })
      await started
      scripted.send('Answered')
      scripted.finish()
      const answer = await pending
      expect(answer.status).toBe(200)
      const ended = (await answer.json()) as Session
      expect(ended.status).toBe('Ready')
      expect(ended.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'Again',
        'Answered',
      ])
    } finally {
      await close()
    }
  })

  it('interrupts a regenerate and an edit', async () => {
    const { request, answeredThenRunning, scripted, write, close } = await busyApp()
    try {
      const session = await answeredThenRunning()
      const [question, reply] = session.messages
      if (!question || !reply) throw new Error('no exchange')
      const regenerating = scripted.started()
      const regenerated = await request(
        `/sessions/${session.id}/messages/${reply.id}/regenerate?on_busy=interrupt`,
        { method: 'POST', headers: { Prefer: 'respond-async' } },
      )
      expect(regenerated.status).toBe(202)
      expect(((await regenerated.json()) as Session).messages.map((m) => m.text)).toEqual([
        'First question',
      ])
      await regenerating
      await write(session.id, 'other')
      const form = new FormData()
      form.append('text_prompt', 'Edited question')
      const edited = await request(
        `/sessions/${session.id}/messages/${question.id}/edit?on_busy=interrupt`,
        { method: 'POST', body: form, headers: { Prefer: 'respond-async' } },
      )
      expect(edited.status).toBe(202)
      expect(((await edited.json()) as Session).messages.map((m) => m.text)).toEqual([
        'Edited question',
      ])
      const tree = (await (await request(`/sessions/${session.id}/tree`)).json()) as {
        messages: Array<{ text: string }>
      }
      // The interrupted runs' partial replies are kept, on their branches.
      expect(tree.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'Second question',
        'partial',
        'other',
        'Edited question',
      ])
    } finally {
      await close()
    }
  })

  it('of two racing interrupts, one starts its turn and the other is refused', async () => {
    const { request, running, close } = await busyApp()
    try {
      const session = await running()
      const answers = await Promise.all(
        ['One', 'Two'].map((text) => continueTurn(request, session.id, text, '?on_busy=interrupt')),
      )
      const statuses = answers.map((answer) => answer.status).sort()
      expect(statuses).toEqual([202, 409])
      const refused = answers.find((answer) => answer.status === 409)
      const body = (await refused?.json()) as SessionBusyResponse
      const stored = (await (await request(`/sessions/${session.id}`)).json()) as Session
      expect(stored.status).toBe('Running')
      expect(stored.messages).toHaveLength(3)
      expect(['One', 'Two']).toContain(stored.messages[2]?.text)
      expect(body.run_id).toEqual(expect.any(String))
    } finally {
      await close()
    }
  })

  it('interrupts an AI SDK chat turn', async () => {
    const { request, running, close } = await busyApp()
    try {
      const session = await running()
      const chat = (on_busy: string) =>
        request(`/chat${on_busy}`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            id: session.id,
            trigger: 'submit-message',
            messages: [{ id: 'm2', role: 'user', parts: [{ type: 'text', text: 'Stop that' }] }],
          }),
        })
      const refused = await chat('')
      expect(refused.status).toBe(409)
      expect(((await refused.json()) as SessionBusyResponse).run_id).toEqual(expect.any(String))
      const taken = await chat('?on_busy=interrupt')
      expect(taken.status).toBe(200)
      await taken.body?.cancel()
      const stored = (await (await request(`/sessions/${session.id}`)).json()) as Session
      expect(stored.messages.map((m) => m.text)).toEqual(['First question', 'partial', 'Stop that'])
    } finally {
      await close()
    }
  })
})

type Request = (path: string, init?: RequestInit) => Response | Promise<Response>

function continueTurn(request: Request, id: string, text: string, query = '') {
  return request(`/sessions/${id}${query}`, {
    method: 'PUT',
    body: JSON.stringify({ text_prompt: text }),
    headers: { ...json, Prefer: 'respond-async' },
  })
}

/** The session once `done` says so (polled). */
async function waitFor(
  request: Request,
  id: string,
  done: (session: Session) => boolean,
): Promise<Session> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const session = (await (await request(`/sessions/${id}`)).json()) as Session
    if (done(session)) return session
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`session ${id} never got there`)
}
