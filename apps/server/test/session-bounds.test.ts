/**
 * Bounds on what one key holder can make the one process build: messages and text bytes per
 * session (a turn past them, a regenerate or an edit too, is a 413 naming the limit, nothing
 * stored), and the parts, text fields and text size of a multipart body.
 */
import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { cancelSafe } from './cancel-safe-body.ts'
import { createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const json = (body: unknown) => ({
  method: 'PUT',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
})

async function create(app: App, text = 'Hello'): Promise<Response> {
  return app.request(
    '/sessions/text',
    await cancelSafe({
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: text }),
    }),
  )
}

const detail = async (response: Response) => ((await response.json()) as { detail: string }).detail

describe('messages per session', () => {
  it('takes a turn that fills the session to the limit, and refuses the next with 413', async () => {
    const { app } = await createTestApp({ config: { maxSessionMessages: 4 } })
    const session = (await (await create(app)).json()) as Session
    const atLimit = await app.request(`/sessions/${session.id}`, json({ text_prompt: 'Again' }))
    expect(atLimit.status).toBe(200)
    expect(((await atLimit.json()) as Session).messages).toHaveLength(4)
    const past = await app.request(`/sessions/${session.id}`, json({ text_prompt: 'Once more' }))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/limit of 4 messages \(MAX_SESSION_MESSAGES\)/)
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored.messages).toHaveLength(4)
    expect(stored.status).toBe('Ready')
  })

  it('refuses a turn past the limit with 413 while the session runs too, not 409', async () => {
    const { app } = await createTestApp({
      config: { maxSessionMessages: 4 },
      agents: [createEchoAgent({ delayMs: 100 })],
    })
    const session = (await (await create(app)).json()) as Session
    const running = await app.request(`/sessions/${session.id}`, {
      ...json({ text_prompt: 'Again, slowly, word by word' }),
      headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    })
    expect(running.status).toBe(202)
    const past = await app.request(`/sessions/${session.id}`, json({ text_prompt: 'Once more' }))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/MAX_SESSION_MESSAGES/)
    const cancelled = await app.request(`/sessions/${session.id}/cancel`, { method: 'POST' })
    const texts = ((await cancelled.json()) as Session).messages.map((message) => message.text)
    expect(texts).toContain('Again, slowly, word by word')
    expect(texts).not.toContain('Once more')
  })

  it('refuses a chat turn past the limit the same way', async () => {
    const { app } = await createTestApp({ config: { maxSessionMessages: 2 } })
    const post = () =>
      app.request('/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          id: 'chat-bounded',
          agent_id: 'echo',
          messages: [
            { id: `u${Math.random()}`, role: 'user', parts: [{ type: 'text', text: 'hi' }] },
          ],
        }),
      })
    const first = await post()
    expect(first.status).toBe(200)
    await first.text()
    const past = await post()
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/MAX_SESSION_MESSAGES/)
  })
})

describe('text bytes per session', () => {
  // The echo agent replies 'You said: <prompt>': 10 bytes more than the prompt.
  it('counts UTF-8 bytes of prompts and replies, at the limit and one byte past it', async () => {
    // 'é' is two bytes: the first prompt is 4 bytes, its reply 14; 18 stored.
    const { app } = await createTestApp({ config: { maxSessionTextBytes: 18 + 3 } })
    const session = (await (await create(app, 'éé')).json()) as Session
    const past = await app.request(`/sessions/${session.id}`, json({ text_prompt: 'éé' }))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/21 bytes of text \(MAX_SESSION_TEXT_BYTES\)/)
    expect(
      ((await (await app.request(`/sessions/${session.id}`)).json()) as Session).messages,
    ).toHaveLength(2)
    const atLimit = await app.request(`/sessions/${session.id}`, json({ text_prompt: 'abc' }))
    expect(atLimit.status).toBe(200)
  })

  it('refuses a first prompt larger than a session holds, storing nothing', async () => {
    const { app } = await createTestApp({ config: { maxSessionTextBytes: 5 } })
    expect((await create(app, 'abcde')).status).toBe(200)
    const past = await create(app, 'abcdef')
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/MAX_SESSION_TEXT_BYTES/)
    const page = (await (await app.request('/sessions?agent_id=echo')).json()) as {
      sessions: Session[]
    }
    expect(page.sessions).toHaveLength(1)
  })
})

describe('branch turns on a bounded session', () => {
  const post = (app: App, path: string, body?: FormData) =>
    app.request(path, { method: 'POST', ...(body && { body }) })
  const editForm = (text: string) => {
    const form = new FormData()
    form.append('text_prompt', text)
    return form
  }
  /** How many messages the session holds, on every branch. */
  const treeSize = async (app: App, id: string) =>
    ((await (await app.request(`/sessions/${id}/tree`)).json()) as { messages: unknown[] }).messages
      .length

  it('regenerates a reply into the last free message, then refuses regenerate and edit with 413', async () => {
    const { app } = await createTestApp({ config: { maxSessionMessages: 3 } })
    const session = (await (await create(app)).json()) as Session
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}/messages`
    expect((await post(app, `${base}/${reply?.id}/regenerate`)).status).toBe(200)
    expect(await treeSize(app, session.id)).toBe(3)
    const past = await post(app, `${base}/${reply?.id}/regenerate`)
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/limit of 3 messages \(MAX_SESSION_MESSAGES\)/)
    // An edit needs room for its message and the reply: two.
    const edit = await post(app, `${base}/${question?.id}/edit`, editForm('Other'))
    expect(edit.status).toBe(413)
    expect(await detail(edit)).toMatch(/MAX_SESSION_MESSAGES/)
    expect(await treeSize(app, session.id)).toBe(3)
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored.status).toBe('Ready')
  })

  it('takes an edit that fills the session to the limit, counting every branch, and refuses the next', async () => {
    const { app } = await createTestApp({ config: { maxSessionMessages: 4 } })
    const session = (await (await create(app)).json()) as Session
    const question = session.messages[0]
    const path = `/sessions/${session.id}/messages/${question?.id}/edit`
    const atLimit = await post(app, path, editForm('Other'))
    expect(atLimit.status).toBe(200)
    // The active branch shows two messages; the session holds four.
    expect(((await atLimit.json()) as Session).messages).toHaveLength(2)
    const past = await post(app, path, editForm('Third'))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/limit of 4 messages/)
    expect(await treeSize(app, session.id)).toBe(4)
  })

  it('counts the text bytes of every branch: an edit at the limit and one byte past it, a regenerate on a full session', async () => {
    // 'éé' then its reply: 4 + 14 = 18 bytes stored.
    const { app } = await createTestApp({ config: { maxSessionTextBytes: 18 + 3 } })
    const session = (await (await create(app, 'éé')).json()) as Session
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}/messages`
    const past = await post(app, `${base}/${question?.id}/edit`, editForm('éé'))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/21 bytes of text \(MAX_SESSION_TEXT_BYTES\)/)
    // 18 + 3: at the limit; its reply takes the session past it.
    expect((await post(app, `${base}/${question?.id}/edit`, editForm('abc'))).status).toBe(200)
    const regenerate = await post(app, `${base}/${reply?.id}/regenerate`)
    expect(regenerate.status).toBe(413)
    expect(await detail(regenerate)).toMatch(/MAX_SESSION_TEXT_BYTES/)
    expect(await treeSize(app, session.id)).toBe(4)
  })

  it('regenerates on a session whose text is at the limit (the reply may end past it)', async () => {
    const { app } = await createTestApp({ config: { maxSessionTextBytes: 18 } })
    const session = (await (await create(app, 'éé')).json()) as Session
    const path = `/sessions/${session.id}/messages/${session.messages[1]?.id}/regenerate`
    expect((await post(app, path)).status).toBe(200)
    expect((await post(app, path)).status).toBe(413)
  })

  it("refuses the AI SDK chat's regenerate-message on a full session with the same 413", async () => {
    const { app } = await createTestApp({ config: { maxSessionMessages: 2 } })
    const session = (await (await create(app)).json()) as Session
    const answer = await app.request('/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        id: session.id,
        trigger: 'regenerate-message',
        messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }],
      }),
    })
    expect(answer.status).toBe(413)
    expect(await detail(answer)).toMatch(/limit of 2 messages \(MAX_SESSION_MESSAGES\)/)
  })
})

describe('multipart parts and text fields', () => {
  const limits = { maxFileBytes: 1000, maxFiles: 2, maxRequestBytes: 1_000_000, maxJsonBytes: 200 }

  const post = async (app: App, form: FormData) =>
    app.request('/sessions/text', await cancelSafe({ method: 'POST', body: form }))

  const formWith = (extraFields: number, prompt = 'Hello') => {
    const form = sessionForm({ agent_id: 'echo', text_prompt: prompt })
    for (let i = 0; i < extraFields; i++) form.append(`extra${i}`, '')
    return form
  }

  it('takes as many text fields as MAX_FORM_FIELDS, and refuses one more with 413', async () => {
    const { app } = await createTestApp({ config: { limits: { ...limits, maxFormFields: 4 } } })
    expect((await post(app, formWith(2))).status).toBe(200)
    const past = await post(app, formWith(3))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/MAX_FORM_FIELDS/)
  })

  it('refuses 30,000 empty parts with 413 under the default limits', async () => {
    const { app } = await createTestApp()
    const past = await post(app, formWith(30_000))
    expect(past.status).toBe(413)
  })

  it('takes MAX_FILES files with MAX_FORM_FIELDS fields (busboy parts), and refuses a part more', async () => {
    const { app } = await createTestApp({ config: { limits: { ...limits, maxFormFields: 2 } } })
    const form = formWith(0)
    form.append('files', new Blob(['a']), 'a.txt')
    form.append('files', new Blob(['b']), 'b.txt')
    expect((await post(app, form)).status).toBe(200)
    form.append('other', new Blob(['c']), 'c.txt')
    const past = await post(app, form)
    expect(past.status).toBe(413)
  })

  it('takes a text field of MAX_FIELD_BYTES, and refuses one byte more with 413', async () => {
    const { app } = await createTestApp({ config: { limits: { ...limits, maxFieldBytes: 100 } } })
    expect((await post(app, formWith(0, 'x'.repeat(100)))).status).toBe(200)
    const past = await post(app, formWith(0, 'x'.repeat(101)))
    expect(past.status).toBe(413)
    expect(await detail(past)).toMatch(/'text_prompt' is larger than the limit of 100 bytes/)
  })
})

describe('cursors out of range', () => {
  it('answer 422 instead of an empty page', async () => {
    const { app } = await createTestApp()
    const session = (await (await create(app)).json()) as Session
    const far = Buffer.from(JSON.stringify([9e15, session.id])).toString('base64url')
    const list = await app.request(`/sessions?agent_id=echo&cursor=${far}`)
    expect(list.status).toBe(422)
    const position = Buffer.from(`desc:${2 ** 31}`).toString('base64url')
    const page = await app.request(`/sessions/${session.id}/messages?cursor=${position}`)
    expect(page.status).toBe(422)
  })
})

describe('shutdown', () => {
  it('answers new turns 503 with Retry-After from the moment it begins, storing nothing', async () => {
    const { app, shutdown } = await createTestApp()
    const session = (await (await create(app)).json()) as Session
    await shutdown(0)
    for (const response of [
      await create(app),
      await app.request(`/sessions/${session.id}`, json({ text_prompt: 'Again' })),
    ]) {
      expect(response.status).toBe(503)
      expect(response.headers.get('Retry-After')).toBe('5')
    }
  })
})
