/**
 * A session's tree of messages over HTTP: regenerate, edit, switch, fork, the tree's pages, the
 * `branch` event, `Idempotency-Key`s, and what an old client (the Python `uxmate_client`, which
 * knows only `messages`) reads of a branched session.
 */
import type { GetSessionTreeResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { readSse } from './sse-reader.ts'
import { createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function open(app: App, text = 'First question'): Promise<Session> {
  const answer = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }, [
      { name: 'notes.txt', type: 'text/plain', content: 'the notes' },
    ]),
  })
  expect(answer.status).toBe(200)
  return (await answer.json()) as Session
}

const post = (app: App, path: string, init: RequestInit = {}) =>
  app.request(path, { method: 'POST', ...init })

const editForm = (text: string) => {
  const form = new FormData()
  form.append('text_prompt', text)
  return form
}

/** The fields the Python client 1.0.2 reads of a session (its `Session` and `Message` models). */
const asOldClient = (session: Session) => ({
  id: session.id,
  agent_id: session.agent_id,
  status: session.status,
  messages: session.messages.map(({ role, text }) => ({ role, text })),
})

describe('branches of a session', () => {
  it('regenerates, edits, switches and forks; an old client reads the active branch', async () => {
    const { app } = await createTestApp()
    const session = await open(app)
    const base = `/sessions/${session.id}`
    const [question, reply] = session.messages
    if (!question || !reply) throw new Error('no reply')
    expect(question.parent_id).toBeNull()
    expect(reply.parent_id).toBe(question.id)

    const regenerated = await post(app, `${base}/messages/${reply.id}/regenerate`)
    expect(regenerated.status).toBe(200)
    const second = ((await regenerated.json()) as Session).messages
    expect(second).toHaveLength(2)
    expect(second[1]?.id).not.toBe(reply.id)
    expect(second[1]?.parent_id).toBe(question.id)

    const edited = await post(app, `${base}/messages/${question.id}/edit`, {
      body: editForm('Another question'),
    })
    expect(edited.status).toBe(200)
    const afterEdit = (await edited.json()) as Session
    expect(asOldClient(afterEdit)).toEqual({
      id: session.id,
      agent_id: 'echo',
      status: 'Ready',
      messages: [
        { role: 'user', text: 'Another question' },
        { role: 'assistant', text: 'You said: Another question' },
      ],
    })
    // The old client's continuation goes on from the branch it sees.
    const continued = await app.request(base, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: 'And then?' }),
    })
    const afterContinue = (await continued.json()) as Session
    expect(asOldClient(afterContinue).messages.map((m) => m.text)).toEqual([
      'Another question',
      'You said: Another question',
      'And then?',
      'You said: And then?',
    ])

    const tree = (await (await app.request(`${base}/tree`)).json()) as GetSessionTreeResponse
    expect(tree.messages).toHaveLength(7)
    expect(tree.messages.filter((m) => m.parent_id === null)).toHaveLength(2)
    expect(tree.active_leaf_id).toBe(tree.messages.at(-1)?.id)

    // Back to the first question: its latest reply (the regenerated one).
    const switched = await post(app, `${base}/messages/${question.id}/switch`)
    expect(switched.status).toBe(200)
    const onFirst = (await switched.json()) as Session
    expect(onFirst.messages.map((m) => m.id)).toEqual([question.id, second[1]?.id])
    expect(onFirst.updated_at, 'a switch is no update').toBe(afterContinue.updated_at)
    const page = (await (await app.request(`${base}/messages?limit=50`)).json()) as Session
    expect(page.messages.map((m) => m.id)).toEqual([second[1]?.id, question.id])

    const forked = await post(app, `${base}/messages/${reply.id}/fork`)
    expect(forked.status).toBe(201)
    const fork = (await forked.json()) as Session
    expect(fork.id).not.toBe(session.id)
    expect(fork.name).toBe(session.name)
    expect(fork.messages.map((m) => m.text)).toEqual([question.text, reply.text])
    const file = fork.messages[0]?.files?.[0]
    expect(file?.url).toBe(`/sessions/${fork.id}/files/${file?.id}`)
    expect(await (await app.request(file?.url ?? '')).text()).toBe('the notes')
    // Deleting the source leaves the fork's file whole.
    expect((await app.request(base, { method: 'DELETE' })).status).toBe(204)
    expect(await (await app.request(file?.url ?? '')).text()).toBe('the notes')
    const onFork = await app.request(`/sessions/${fork.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: 'On the fork' }),
    })
    expect(((await onFork.json()) as Session).messages).toHaveLength(4)
  })

  it("shows the old client's get_session and get_sessions the active branch, root to leaf, after each change", async () => {
    const { app } = await createTestApp()
    const session = await open(app, 'Plan an interview')
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}`
    /** What the Python client reads of the session: `get_session`, and its row of `get_sessions`. */
    const oldClientReads = async () => {
      const one = (await (await app.request(base)).json()) as Session
      const list = (await (await app.request('/sessions?agent_id=echo')).json()) as {
        sessions: Session[]
      }
      const row = list.sessions.find((listed) => listed.id === session.id)
      expect(row && asOldClient(row), 'get_sessions shows what get_session does').toEqual(
        asOldClient(one),
      )
      // A chain: each message follows the one before it, from a first message.
      expect(one.messages.map((message) => message.parent_id ?? null)).toEqual([
        null,
        ...one.messages.slice(0, -1).map((message) => message.id),
      ])
      return asOldClient(one).messages.map((m) => `${m.role}:${m.text}`)
    }

    await post(app, `${base}/messages/${reply?.id}/regenerate`)
    expect(await oldClientReads()).toEqual([
      'user:Plan an interview',
      'assistant:You said: Plan an interview (files: notes.txt)',
    ])
    await post(app, `${base}/messages/${question?.id}/edit`, { body: editForm('Plan a survey') })
    expect(await oldClientReads()).toEqual([
      'user:Plan a survey',
      'assistant:You said: Plan a survey',
    ])
    const continued = await app.request(base, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: 'Shorter' }),
    })
    expect(continued.status).toBe(200)
    expect(await oldClientReads()).toHaveLength(4)
    // Back on the first question's first reply: two messages, though the tree holds eight.
    await post(app, `${base}/messages/${reply?.id}/switch`)
    expect(await oldClientReads()).toEqual([
      'user:Plan an interview',
      'assistant:You said: Plan an interview (files: notes.txt)',
    ])
    const tree = (await (await app.request(`${base}/tree`)).json()) as GetSessionTreeResponse
    expect(tree.messages).toHaveLength(7)
    expect(tree.active_leaf_id).toBe(reply?.id)
    // A fork is in the next list at once.
    const fork = (await (await post(app, `${base}/messages/${reply?.id}/fork`)).json()) as Session
    const list = (await (await app.request('/sessions?agent_id=echo')).json()) as {
      sessions: Session[]
    }
    expect(list.sessions.map((listed) => listed.id)).toContain(fork.id)
  })

  it('refuses a message of the wrong role, another session, or another owner', async () => {
    const { app } = await createTestApp({ apiKeys: { 'key-a': 'alice', 'key-b': 'bob' } })
    const alice = { Authorization: 'Bearer key-a' }
    const bob = { Authorization: 'Bearer key-b' }
    const created = await app.request('/sessions/text', {
      method: 'POST',
      headers: alice,
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Mine' }),
    })
    const session = (await created.json()) as Session
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}/messages`
    const wrongRole = await post(app, `${base}/${question?.id}/regenerate`, { headers: alice })
    expect(wrongRole.status).toBe(422)
    expect(await wrongRole.json()).toMatchObject({
      detail: [
        {
          loc: ['path', 'message_id'],
          msg: 'Value error, The message must be an assistant message',
        },
      ],
    })
    const editReply = await post(app, `${base}/${reply?.id}/edit`, {
      headers: alice,
      body: editForm('x'),
    })
    expect(editReply.status).toBe(422)
    for (const action of ['regenerate', 'switch', 'fork']) {
      const other = await post(app, `${base}/${reply?.id}/${action}`, { headers: bob })
      expect(other.status, action).toBe(404)
      expect(await other.json()).toEqual({ detail: 'Session not found' })
    }
    const unknown = await post(app, `${base}/${session.id}/switch`, { headers: alice })
    expect(await unknown.json()).toEqual({ detail: 'Message not found' })
    const siblings = await app.request(`/sessions/${session.id}/tree?siblings_of=${session.id}`, {
      headers: alice,
    })
    expect(siblings.status).toBe(422)
  })

  it('replays a keyed regenerate, and streams a branch event before the run', async () => {
    const { app } = await createTestApp()
    const session = await open(app)
    const reply = session.messages[1]
    const idle = readSse(await app.request(`/sessions/${session.id}/events`))
    const before = (await idle.nextEvent())?.id ?? 0
    const keyed = { 'Idempotency-Key': 'regenerate-once' }
    const path = `/sessions/${session.id}/messages/${reply?.id}/regenerate`
    const first = await post(app, path, { headers: keyed })
    const again = await post(app, path, { headers: keyed })
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await again.json()).toEqual(await first.json())
    const tree = (await (
      await app.request(`/sessions/${session.id}/tree?siblings_of=${reply?.id}`)
    ).json()) as GetSessionTreeResponse
    expect(tree.messages, 'one regenerated reply, not two').toHaveLength(2)

    const events = await readSse(
      await app.request(`/sessions/${session.id}/events`, {
        headers: { 'Last-Event-ID': String(before) },
      }),
    ).rest()
    const names = events.map((event) => event.event)
    expect(names.slice(0, 3)).toEqual(['branch', 'status', 'message.delta'])
    expect(names.slice(-2)).toEqual(['message.completed', 'status'])
    expect(events[0]?.data).toEqual({ leaf_id: session.messages[0]?.id })
  })

  it('streams a branch event and the status on a switch that moves the active leaf, nothing on one that does not', async () => {
    const { app } = await createTestApp()
    const session = await open(app)
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}`
    const regenerated = (await (
      await post(app, `${base}/messages/${reply?.id}/regenerate`)
    ).json()) as Session
    const events = (lastEventId: number) =>
      app.request(`${base}/events`, { headers: { 'Last-Event-ID': String(lastEventId) } })
    const before = (await readSse(await app.request(`${base}/events`)).nextEvent())?.id ?? 0

    // A follower that comes back with its last id hears of the switch.
    expect((await post(app, `${base}/messages/${reply?.id}/switch`)).status).toBe(200)
    const told = await readSse(await events(before)).rest()
    expect(told.map(({ event, id, data }) => ({ event, id, data }))).toEqual([
      { event: 'branch', id: before + 1, data: { leaf_id: reply?.id } },
      { event: 'status', id: before + 2, data: { status: 'Ready' } },
    ])
    // The idle session's status goes on from there.
    const idle = await readSse(await app.request(`${base}/events`)).rest()
    expect(idle.map(({ event, id }) => ({ event, id }))).toEqual([
      { event: 'status', id: before + 2 },
    ])

    // Back to the question's latest reply; then the same again, which moves nothing.
    await post(app, `${base}/messages/${question?.id}/switch`)
    await post(app, `${base}/messages/${question?.id}/switch`)
    const once = await readSse(await events(before + 2)).rest()
    expect(once.map(({ event }) => event)).toEqual(['branch', 'status'])
    expect(once.map(({ id }) => id)).toEqual([before + 3, before + 4])
    expect(once[0]?.data).toEqual({ leaf_id: regenerated.messages.at(-1)?.id })
  })
})
