/**
 * Bounds on what one key holder can make the one process build: messages and text bytes per
 * session (a turn past them is a 413 naming the limit, nothing stored), and the parts, text
 * fields and text size of a multipart body.
 */
import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
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
