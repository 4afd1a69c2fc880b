import type { Session, UsageReport } from '@uxmate/contract'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { afterEach, describe, expect, it } from 'vitest'
import { COMPACTION_INSTRUCTIONS, NOTE_PREFIX } from '../src/agents/compaction.ts'
import { inputBudget } from '../src/agents/context-window.ts'
import { messageTokens } from '../src/agents/token-count.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { createLlmAgent, createTestApp, sessionForm } from './test-app.ts'

const WINDOW = { contextWindow: 8192, maxOutputTokens: 1024 }
const budget = inputBudget({ ...WINDOW, strategy: 'compact', attachmentTurns: 2 })

let fake: FakeOpenAiServer | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

/** `words` words of running text, each a token or so. */
const prose = (words: number, seed: string) =>
  Array.from({ length: words }, (_, i) => `${seed}${i % 97}`).join(' ')

const isCompaction = (messages: ChatCompletionMessageParam[]) =>
  messages[0]?.content === COMPACTION_INSTRUCTIONS
const inputTokens = (messages: ChatCompletionMessageParam[]) =>
  messages.reduce((sum, message) => sum + messageTokens(message), 0)

/** A fake model that answers every request by itself, with usage; compactions fail if told. */
async function automaticModel(options: { failCompactions?: boolean } = {}) {
  fake = await startFakeOpenAiServer()
  fake.answerAutomatically((body) => {
    const messages = body.messages as ChatCompletionMessageParam[]
    const usage = { prompt_tokens: inputTokens(messages), completion_tokens: 150, cached_tokens: 7 }
    if (isCompaction(messages)) {
      if (options.failCompactions) return { status: 500 }
      return { text: `SUMMARY ${prose(300, 's')}`, usage }
    }
    if (!body.stream) return { text: 'A title', usage }
    return { text: prose(150, 'r'), usage }
  })
  return fake
}

type App = Awaited<ReturnType<typeof createTestApp>>['app']

/** `turns` more turns of a session, each ~400 tokens from the user (the fake answers ~300). */
async function more(app: App, session: Session, turns: number): Promise<Session> {
  let current = session
  for (let turn = 0; turn < turns; turn++) {
    const answer = await app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: prose(100, `u${current.messages.length}-`) }),
    })
    current = (await answer.json()) as Session
    expect(current.status, JSON.stringify(current.error)).toBe('Ready')
  }
  return current
}

/** A new session of `turns` turns. */
async function talk(app: App, turns: number): Promise<Session> {
  const created = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'llm', text_prompt: prose(100, 'u0-') }),
  })
  return more(app, (await created.json()) as Session, turns - 1)
}

describe('a conversation longer than the model window', () => {
  it('keeps answering for 500 turns on an 8k window, every request within budget, compacting now and then', async () => {
    const model = await automaticModel()
    const { app } = await createTestApp({
      agents: [createLlmAgent(model.baseUrl, { context_window: 8192, max_output_tokens: 1024 })],
    })
    const session = await talk(app, 500)
    expect(session.messages).toHaveLength(1000)

    const replies = model.received.filter((body) => body.stream)
    const compactions = model.received.filter((body) =>
      isCompaction(body.messages as ChatCompletionMessageParam[]),
    )
    expect(replies).toHaveLength(500)
    for (const body of model.received) {
      expect(inputTokens(body.messages as ChatCompletionMessageParam[])).toBeLessThanOrEqual(budget)
    }
    for (const body of replies) expect(body.max_completion_tokens).toBe(1024)
    // Each note covers several turns: made far less often than once a turn.
    expect(compactions.length).toBeGreaterThan(5)
    expect(compactions.length).toBeLessThan(replies.length / 3)
    // The latest message always goes, after the note.
    const last = replies.at(-1)?.messages as ChatCompletionMessageParam[]
    expect(last.at(-1)?.content).toBe(session.messages.at(-2)?.text)
    expect(String(last[0]?.content)).toContain(NOTE_PREFIX)
    // What users see never changes.
    expect(session.messages[0]?.text).toBe(prose(100, 'u0-'))
  }, 120_000)

  it('compacts once and then reuses the note, sending it in place of the older turns', async () => {
    const model = await automaticModel()
    const { app } = await createTestApp({
      agents: [createLlmAgent(model.baseUrl, { context_window: 4096, max_output_tokens: 512 })],
    })
    const compactions = () =>
      model.received.filter((body) => isCompaction(body.messages as ChatCompletionMessageParam[]))
        .length
    const lastReply = () =>
      model.received.filter((body) => body.stream).at(-1)?.messages as ChatCompletionMessageParam[]
    // ~700 tokens a turn against a budget of ~3.2k: the history outgrows it within 6 turns.
    let session = await talk(app, 2)
    while (compactions() === 0) session = await more(app, session, 1)
    expect(compactions()).toBe(1)
    expect(String(lastReply()[0]?.content)).toContain(NOTE_PREFIX)
    // The next turns send the same note and the turns since, until they no longer fit.
    session = await more(app, session, 2)
    expect(compactions()).toBe(1)
    expect(String(lastReply()[0]?.content)).toContain(NOTE_PREFIX)
    expect(inputTokens(lastReply())).toBeLessThanOrEqual(
      inputBudget({
        contextWindow: 4096,
        maxOutputTokens: 512,
        strategy: 'compact',
        attachmentTurns: 2,
      }),
    )
  }, 60_000)

  it('truncates when compaction fails, and still answers', async () => {
    const model = await automaticModel({ failCompactions: true })
    const { app } = await createTestApp({
      agents: [createLlmAgent(model.baseUrl, { context_window: 4096, max_output_tokens: 512 })],
    })
    const session = await talk(app, 12)
    expect(session.status).toBe('Ready')
    const replies = model.received.filter((body) => body.stream)
    expect(replies).toHaveLength(12)
    expect(
      model.received.filter((body) => isCompaction(body.messages as ChatCompletionMessageParam[]))
        .length,
    ).toBeGreaterThan(0)
    const limit = inputBudget({
      contextWindow: 4096,
      maxOutputTokens: 512,
      strategy: 'compact',
      attachmentTurns: 2,
    })
    for (const body of replies) {
      const messages = body.messages as ChatCompletionMessageParam[]
      expect(inputTokens(messages)).toBeLessThanOrEqual(limit)
      expect(messages.some((message) => String(message.content).startsWith(NOTE_PREFIX))).toBe(
        false,
      )
    }
    // The latest turns are sent; the oldest are left out.
    const last = replies.at(-1)?.messages as ChatCompletionMessageParam[]
    expect(last.at(-1)?.content).toBe(session.messages.at(-2)?.text)
    expect(last.some((message) => message.content === session.messages[0]?.text)).toBe(false)
  }, 60_000)
})

describe('attachments across turns', () => {
  it('sends an image as an image for attachment_turns turns after its own, by name afterwards', async () => {
    const model = await automaticModel()
    const { app } = await createTestApp({
      agents: [createLlmAgent(model.baseUrl, { attachment_turns: 1 })],
    })
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const created = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'llm', text_prompt: 'What is in this picture?' }, [
        { name: 'shot.png', content: png, type: 'image/png' },
      ]),
    })
    const session = (await created.json()) as Session
    await more(app, session, 2)
    const firstUser = (body: (typeof model.received)[number]) =>
      JSON.stringify((body.messages as ChatCompletionMessageParam[]).find((m) => m.role === 'user'))
    const replies = model.received.filter((body) => body.stream)
    expect(replies).toHaveLength(3)
    // Its own turn and the next: as an image.
    expect(firstUser(replies[0] as (typeof replies)[number])).toContain('data:image/png;base64,')
    expect(firstUser(replies[1] as (typeof replies)[number])).toContain('data:image/png;base64,')
    // Two turns later: by name only.
    const later = firstUser(replies[2] as (typeof replies)[number])
    expect(later).not.toContain('data:image/png')
    expect(later).toContain('shot.png')
    expect(later).toContain('its contents are not included')
  })
})

describe('usage', () => {
  it("stores the provider's tokens on each reply, on the session and in the owner's report", async () => {
    const model = await automaticModel()
    const { app } = await createTestApp({ agents: [createLlmAgent(model.baseUrl)] })
    const session = await talk(app, 2)
    const [, firstReply, , secondReply] = session.messages
    expect(firstReply?.usage).toEqual({
      input_tokens: expect.any(Number),
      output_tokens: 150,
      cached_tokens: 7,
      estimated: false,
    })
    expect(secondReply?.usage?.input_tokens).toBeGreaterThan(firstReply?.usage?.input_tokens ?? 0)
    expect(session.messages[0]?.usage).toBeUndefined()
    // Two replies and the title.
    expect(session.usage?.output_tokens).toBe(450)
    expect(session.usage?.cached_tokens).toBe(21)

    const report = (await (await app.request('/usage?tz=Europe/Paris')).json()) as UsageReport
    expect(report.agents).toEqual([
      {
        agent_id: 'llm',
        runs: 3,
        input_tokens: session.usage?.input_tokens,
        output_tokens: 450,
        cached_tokens: 21,
        estimated: false,
      },
    ])
    expect(report.days).toHaveLength(1)
    expect(report.days[0]?.runs).toBe(3)

    // Usage stays on record after the session is gone.
    expect((await app.request(`/sessions/${session.id}`, { method: 'DELETE' })).status).toBe(204)
    const after = (await (await app.request('/usage')).json()) as UsageReport
    expect(after.agents[0]?.runs).toBe(3)
  })

  it('estimates, and says so, when the provider reports nothing', async () => {
    fake = await startFakeOpenAiServer()
    fake.answerAutomatically((body) => ({ text: body.stream ? 'Four words of reply' : 'Title' }))
    const { app } = await createTestApp({ agents: [createLlmAgent(fake.baseUrl)] })
    const session = await talk(app, 1)
    expect(session.messages[1]?.usage).toMatchObject({ output_tokens: 4, estimated: true })
    expect(session.usage?.estimated).toBe(true)
  })

  it('reports nothing for an echo agent, and refuses a range backwards or over 366 days', async () => {
    const { app } = await createTestApp()
    const created = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'hi' }),
    })
    const session = (await created.json()) as Session
    expect(session.usage).toBeUndefined()
    expect(session.messages[1]?.usage).toBeUndefined()
    const report = (await (await app.request('/usage')).json()) as UsageReport
    expect(report).toMatchObject({ tz: 'UTC', agents: [], days: [] })
    const atLimit = await app.request('/usage?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')
    expect(atLimit.status).toBe(200)
    const past = await app.request('/usage?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:01Z')
    expect(past.status).toBe(422)
    const backwards = await app.request('/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')
    expect(backwards.status).toBe(422)
    expect((await app.request('/usage?tz=Nowhere/Land')).status).toBe(422)
  })
})
