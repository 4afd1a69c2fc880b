/**
 * A turn sent while the session is busy, by its `on_busy`: `reject` (409 naming the run and its
 * events), `interrupt` (the run cancelled, its partial reply kept, then the turn) on continue,
 * regenerate, edit and the AI SDK chat; racing interrupts start one run. On SQLite and on
 * PostgreSQL.
 */
import type { Session, SessionBusyResponse } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionsApp } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
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

  /**
   * An app on a new database of the dialect, with a scripted agent the test answers for;
   * `wrap` may stand between the app and its store.
   */
  async function busyApp(
    config: Partial<ServerConfig> = {},
    wrap: (store: SessionStore) => SessionStore = (store) => store,
  ) {
    const store: SessionStore = wrap((await databases.newDatabase()).open())
    await store.migrate()
    const scripted = createScriptedAgent()
    const { app, shutdown } = createSessionsApp({
      store,
      agents: createAgentRegistry([scripted.agent]),
      config: { ...defaultConfig, logLevel: 'silent', rateLimitPerSecond: 0, ...config },
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

  it('enqueues a continue: 202 with its Location, listed, then run once the run before ends', async () => {
    const { request, running, scripted, write, close } = await busyApp()
    try {
      const session = await running()
      const answer = await continueTurn(request, session.id, 'And then?', '?on_busy=enqueue')
      expect(answer.status).toBe(202)
      const queued = (await answer.json()) as Session
      expect(queued.status).toBe('Running')
      expect(queued.messages.map((m) => m.text)).toEqual(['First question'])
      const [turn] = queued.queued_turns ?? []
      expect(queued.queued_turns).toEqual([
        { id: turn?.id, kind: 'continue', text: 'And then?', created_at: expect.any(String) },
      ])
      expect(answer.headers.get('Location')).toBe(`/sessions/${session.id}/queue/${turn?.id}`)
      expect(answer.headers.has('Preference-Applied')).toBe(false)
      // Visible on the session as it waits.
      const read = (await (await request(`/sessions/${session.id}`)).json()) as Session
      expect(read.queued_turns?.map((t) => t.id)).toEqual([turn?.id])

      const events = readSse(await request(`/sessions/${session.id}/events`))
      const next = scripted.started()
      scripted.finish()
      await next
      await write(session.id, 'Then this')
      scripted.finish()
      const ended = await waitFor(
        request,
        session.id,
        (s) => s.status === 'Ready' && s.messages.length === 4,
      )
      expect(ended.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'And then?',
        'Then this',
      ])
      expect(ended.queued_turns).toBeUndefined()
      // The first run's end, then the queued turn's start, then its run.
      const seen: Array<{ event: string; data: unknown }> = []
      for (let event = await events.nextEvent(); event; event = await events.nextEvent()) {
        seen.push({ event: event.event, data: event.data })
        if (event.event === 'status' && (event.data as { status: string }).status === 'Ready') break
      }
      await events.cancel()
      const reread = readSse(
        await request(`/sessions/${session.id}/events`, {
          headers: { 'Last-Event-ID': '0' },
        }),
      )
      const replay = await reread.rest()
      const started = replay.find((event) => event.event === 'queued_turn.started')
      expect(started?.data).toEqual({ turn_id: turn?.id })
      const position = replay.findIndex((event) => event.event === 'queued_turn.started')
      expect(replay[position + 1]?.data).toEqual({ status: 'Running' })
      expect(seen.at(-1)?.data).toEqual({ status: 'Ready' })
    } finally {
      await close()
    }
  })

  it('looks into the queue after a run only when turns were queued behind it', async () => {
    const looked: string[] = []
    const { request, running, scripted, write, close } = await busyApp({}, (store) => ({
      ...store,
      nextQueuedTurn: (sessionId) => {
        looked.push(sessionId)
        return store.nextQueuedTurn(sessionId)
      },
    }))
    try {
      const alone = await running()
      scripted.finish()
      await waitFor(request, alone.id, (s) => s.status === 'Ready')
      const behind = await running()
      const queued = await continueTurn(request, behind.id, 'And then?', '?on_busy=enqueue')
      expect(queued.status).toBe(202)
      const next = scripted.started()
      scripted.finish()
      await next
      await write(behind.id, 'Then this')
      scripted.finish()
      await waitFor(request, behind.id, (s) => s.status === 'Ready' && s.messages.length === 4)
      // Once, at the end of the run the turn waited behind; never for a run with none queued.
      expect(looked).toEqual([behind.id])
    } finally {
      await close()
    }
  })

  it('runs queued turns oldest first, regenerate and edit too, each once', async () => {
    const { request, answeredThenRunning, scripted, close } = await busyApp()
    try {
      const session = await answeredThenRunning()
      const [question, reply] = session.messages
      if (!question || !reply) throw new Error('no exchange')
      const form = new FormData()
      form.append('text_prompt', 'Edited later')
      const answers = [
        await request(`/sessions/${session.id}/messages/${reply.id}/regenerate?on_busy=enqueue`, {
          method: 'POST',
        }),
        await continueTurn(request, session.id, 'Third question', '?on_busy=enqueue'),
        await request(`/sessions/${session.id}/messages/${question.id}/edit?on_busy=enqueue`, {
          method: 'POST',
          body: form,
        }),
      ]
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202])
      const last = (await answers[2]?.json()) as Session
      expect(
        last.queued_turns?.map(({ kind, text, message_id }) => ({ kind, text, message_id })),
      ).toEqual([
        { kind: 'regenerate', text: undefined, message_id: reply.id },
        { kind: 'continue', text: 'Third question', message_id: undefined },
        { kind: 'edit', text: 'Edited later', message_id: question.id },
      ])
      for (const text of ['second reply', 'regenerated', 'third reply', 'edited reply']) {
        const next = scripted.started()
        scripted.send(text)
        scripted.finish()
        if (text !== 'edited reply') await next
      }
      const ended = await waitFor(
        request,
        session.id,
        (s) =>
          s.status === 'Ready' &&
          s.queued_turns === undefined &&
          s.messages[0]?.text === 'Edited later' &&
          s.messages.length === 2,
      )
      expect(ended.messages.map((m) => m.text)).toEqual(['Edited later', 'edited reply'])
      const tree = (await (await request(`/sessions/${session.id}/tree`)).json()) as {
        messages: Array<{ text: string }>
      }
      expect(tree.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'Second question',
        'partialsecond reply',
        'regenerated',
        'Third question',
        'third reply',
        'Edited later',
        'edited reply',
      ])
    } finally {
      await close()
    }
  })

  it('holds MAX_QUEUED_TURNS turns: one more is a 409 naming the run; a cancel makes room', async () => {
    const { request, running, close } = await busyApp({ maxQueuedTurns: 2 })
    try {
      const session = await running()
      const first = await continueTurn(request, session.id, 'One', '?on_busy=enqueue')
      const second = await continueTurn(request, session.id, 'Two', '?on_busy=enqueue')
      expect([first.status, second.status]).toEqual([202, 202])
      const refused = await continueTurn(request, session.id, 'Three', '?on_busy=enqueue')
      expect(refused.status).toBe(409)
      const body = (await refused.json()) as SessionBusyResponse
      expect(body.detail).toContain('MAX_QUEUED_TURNS')
      expect(body.run_id).toEqual(expect.any(String))
      expect(body.events_url).toBe(`/sessions/${session.id}/events`)

      const location = first.headers.get('Location') ?? ''
      const cancel = (key: string) =>
        request(location, { method: 'DELETE', headers: { 'Idempotency-Key': key } })
      const cancelled = await cancel('cancel-1')
      expect(cancelled.status).toBe(204)
      const replayed = await cancel('cancel-1')
      expect(replayed.status).toBe(204)
      expect(replayed.headers.get('Idempotent-Replayed')).toBe('true')
      expect((await cancel('cancel-2')).status).toBe(404)
      expect(
        (
          await request(`/sessions/${session.id}/queue/${crypto.randomUUID()}`, {
            method: 'DELETE',
          })
        ).status,
      ).toBe(404)
      const third = await continueTurn(request, session.id, 'Three', '?on_busy=enqueue')
      expect(third.status).toBe(202)
      const read = (await (await request(`/sessions/${session.id}`)).json()) as Session
      expect(read.queued_turns?.map((turn) => turn.text)).toEqual(['Two', 'Three'])
    } finally {
      await close()
    }
  })

  it('cancels a queued turn, which never runs; the next one does', async () => {
    const { request, running, scripted, close } = await busyApp()
    try {
      const session = await running()
      const dropped = await continueTurn(request, session.id, 'Never mind', '?on_busy=enqueue')
      await continueTurn(request, session.id, 'This one', '?on_busy=enqueue')
      const gone = await request(dropped.headers.get('Location') ?? '', { method: 'DELETE' })
      expect(gone.status).toBe(204)
      const next = scripted.started()
      scripted.finish()
      await next
      scripted.send('done')
      scripted.finish()
      const ended = await waitFor(
        request,
        session.id,
        (s) => s.status === 'Ready' && s.messages.length === 4,
      )
      expect(ended.messages.map((m) => m.text)).toEqual([
        'First question',
        'partial',
        'This one',
        'done',
      ])
    } finally {
      await close()
    }
  })

  it('takes the turn at once when the session is not busy, and refuses what cannot wait', async () => {
    const { request, running, scripted, close } = await busyApp()
    try {
      const session = await running()
      const form = new FormData()
      form.append('text_prompt', 'With a file')
      form.append('files', new Blob(['notes']), 'notes.txt')
      const withFiles = await request(
        `/sessions/${session.id}/messages/${session.messages[0]?.id}/edit?on_busy=enqueue`,
        { method: 'POST', body: form },
      )
      expect(withFiles.status).toBe(422)
      const chat = await request('/chat?on_busy=enqueue', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          id: session.id,
          trigger: 'submit-message',
          messages: [{ id: 'm2', role: 'user', parts: [{ type: 'text', text: 'Later' }] }],
        }),
      })
      expect(chat.status).toBe(422)
      scripted.finish()
      await waitFor(request, session.id, (s) => s.status === 'Ready')
      const started = scripted.started()
      const taken = await continueTurn(request, session.id, 'Now', '?on_busy=enqueue')
      expect(taken.status).toBe(202)
      expect(taken.headers.has('Location')).toBe(false)
      expect(taken.headers.get('Preference-Applied')).toBe('respond-async')
      const body = (await taken.json()) as Session
      expect(body.messages.at(-1)?.text).toBe('Now')
      expect(body.queued_turns).toBeUndefined()
      await started
    } finally {
      await close()
    }
  })

  it('keeps queued turns across a restart: stored, held while stopping, resumed at start', async () => {
    const database = await databases.newDatabase()
    const config = { ...defaultConfig, logLevel: 'silent' as const, rateLimitPerSecond: 0 }
    const first = { store: database.open(), agent: createScriptedAgent() }
    await first.store.migrate()
    const before = createSessionsApp({
      store: first.store,
      agents: createAgentRegistry([first.agent.agent]),
      config,
      logger: createJsonLogger('silent'),
    })
    const started = first.agent.started()
    const created = await before.app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'scripted', text_prompt: 'First question' }),
      headers: { Prefer: 'respond-async' },
    })
    const session = (await created.json()) as Session
    await started
    for (const text of ['One', 'Two'])
      expect(
        (await continueTurn(before.app.request, session.id, text, '?on_busy=enqueue')).status,
      ).toBe(202)
    // The stop cuts the run off; its queue does not move on while the server stops.
    await before.shutdown(0)
    await first.store.close()

    const second = { store: database.open(), agent: createScriptedAgent() }
    await second.store.migrate()
    await second.store.flushInterruptedRuns(new Date(), 'The server stopped during the run')
    for (const text of ['reply one', 'reply two']) {
      second.agent.send(text)
      second.agent.finish()
    }
    const after = createSessionsApp({
      store: second.store,
      agents: createAgentRegistry([second.agent.agent]),
      config,
      logger: createJsonLogger('silent'),
    })
    try {
      const stored = (await (await after.app.request(`/sessions/${session.id}`)).json()) as Session
      expect(stored.status).toBe('Flushed')
      expect(stored.queued_turns?.map((turn) => turn.text)).toEqual(['One', 'Two'])
      await after.resumeQueues()
      const ended = await waitFor(
        after.app.request,
        session.id,
        (s) => s.status === 'Ready' && s.queued_turns === undefined && s.messages.length === 5,
      )
      expect(ended.messages.map((m) => m.text)).toEqual([
        'First question',
        'One',
        'reply one',
        'Two',
        'reply two',
      ])
    } finally {
      await after.shutdown(1_000)
      await second.store.close()
    }
  })

  // Two instances share PostgreSQL only: a SQLite file has one writer.
  it.runIf(databases.dialect === 'postgres')(
    'across two instances, a turn and a queued turn racing give one run, then the other',
    async () => {
      const database = await databases.newDatabase()
      const stores = [database.open(), database.open()]
      await stores[0]?.migrate()
      const agents = [createScriptedAgent(), createScriptedAgent()]
      const apps = stores.map((store, i) =>
        createSessionsApp({
          store: store as SessionStore,
          agents: createAgentRegistry([agents[i]?.agent ?? createScriptedAgent().agent]),
          config: { ...defaultConfig, logLevel: 'silent', rateLimitPerSecond: 0 },
          logger: createJsonLogger('silent'),
          instance: `instance-${i}`,
        }),
      )
      try {
        const [a, b] = apps
        if (!a || !b) throw new Error('no apps')
        const created = await a.app.request('/sessions/text', {
          method: 'POST',
          body: sessionForm({ agent_id: 'scripted', text_prompt: 'Hello' }),
          headers: { Prefer: 'respond-async' },
        })
        const session = (await created.json()) as Session
        agents[0]?.finish()
        await waitFor(a.app.request, session.id, (s) => s.status === 'Ready')
        const answers = await Promise.all([
          continueTurn(a.app.request, session.id, 'From A', '?on_busy=enqueue'),
          continueTurn(b.app.request, session.id, 'From B', '?on_busy=enqueue'),
        ])
        expect(answers.map((answer) => answer.status)).toEqual([202, 202])
        const queued = answers.filter((answer) => answer.headers.has('Location'))
        // Never two runs: one turn started, the other waited for it.
        expect(queued).toHaveLength(1)
        // The run that started, then the queued turn's, wherever each runs.
        for (const agent of agents) agent.finish()
        await waitFor(a.app.request, session.id, (s) => s.messages.length >= 5)
        for (const agent of agents) agent.finish()
        const ended = await waitFor(
          a.app.request,
          session.id,
          (s) => s.status === 'Ready' && s.messages.length === 6,
        )
        expect(
          ended.messages
            .filter((m) => m.role === 'user')
            .map((m) => m.text)
            .sort(),
        ).toEqual(['From A', 'From B', 'Hello'])
      } finally {
        for (const agent of agents) agent.finish()
        for (const app of apps) await app.shutdown(1_000)
        for (const store of stores) await store.close()
      }
    },
  )
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
