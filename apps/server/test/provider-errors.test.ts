/**
 * What API users see of a model provider's failure: a fixed message per kind of failure in
 * `session.error.message`, never the provider's own text or addresses; those go to the server
 * log, with the session and run ids. Against a real OpenAI-compatible server (the fake).
 */
import { createServer } from 'node:net'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createJsonLogger } from '../src/logger.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { createLlmAgent, createTestApp, sessionForm } from './test-app.ts'

let fake: FakeOpenAiServer
beforeEach(async () => {
  fake = await startFakeOpenAiServer()
})
afterEach(async () => {
  await fake.close()
})

/** The app on the `llm` agent at `baseUrl`, no retries, with its log lines kept. */
async function setup(baseUrl = fake.baseUrl) {
  const lines: string[] = []
  const { app } = await createTestApp({
    agents: [createLlmAgent(baseUrl, {}, { agentMaxRetries: 0 })],
    logger: createJsonLogger('info', (line) => lines.push(line)),
  })
  return { app, lines }
}

type App = Awaited<ReturnType<typeof setup>>['app']

/**
 * Starts a session, follows its events, lets `failTheRun` end its run, and returns every answer
 * a user could have seen of it: the create's, the event stream, the session, the list, and the
 * AI SDK chat stream of a second turn, failed by `failTheRun` too.
 */
async function everythingShown(app: App, failTheRun: () => Promise<void>) {
  const created = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'llm', text_prompt: 'Hello' }),
    headers: { Prefer: 'respond-async' },
  })
  const createdText = await created.text()
  const id = (JSON.parse(createdText) as Session).id
  const events = (await app.request(`/sessions/${id}/events`)).text()
  await failTheRun()
  const eventsText = await events
  const sessionText = await (await app.request(`/sessions/${id}`)).text()
  const session = JSON.parse(sessionText) as Session
  const listText = await (await app.request('/sessions')).text()
  const chat = app.request('/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      id,
      agent_id: 'llm',
      trigger: 'submit-message',
      messages: [{ id: 'u2', role: 'user', parts: [{ type: 'text', text: 'Again' }] }],
    }),
  })
  const chatAnswer = await chat
  expect(chatAnswer.status).toBe(200)
  const chatText = chatAnswer.text()
  await failTheRun()
  const shown = [createdText, eventsText, sessionText, listText, await chatText]
  return { session, shown: shown.join('\n') }
}

describe('a provider failure as users see it', () => {
  it('shows a fixed message, keeping the provider text and its internal address for the log', async () => {
    const { app, lines } = await setup()
    const secret = 'upstream 10.20.30.40:11434 refused: {"node":"gpu-7.internal"}'
    const { session, shown } = await everythingShown(app, async () => {
      ;(await fake.nextStream()).fail(502, secret)
    })
    expect(session.status).toBe('Flushed')
    expect(session.error).toEqual({
      code: 'agent_error',
      message: 'The agent failed: the model provider is unavailable; try again later',
    })
    expect(shown).toContain('the model provider is unavailable')
    for (const leak of ['10.20.30.40', '11434', 'gpu-7.internal', 'refused:']) {
      expect(shown).not.toContain(leak)
    }
    const failed = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'run failed')
    expect(failed).toMatchObject({ session_id: session.id, code: 'agent_error' })
    expect(failed?.run_id).toEqual(expect.any(String))
    expect(String(failed?.error)).toContain('10.20.30.40:11434')
  })

  it('says the provider could not be reached, not where it was looked for', async () => {
    // A port that was free a moment ago and is closed now: the connection is refused.
    const closed = createServer()
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)),
    )
    await new Promise((resolve) => closed.close(resolve))
    const { app, lines } = await setup(`http://127.0.0.1:${port}/v1`)
    const response = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'llm', text_prompt: 'Hello' }),
    })
    const text = await response.text()
    const session = JSON.parse(text) as Session
    expect(session.error).toEqual({
      code: 'agent_error',
      message: 'The agent failed: the model provider could not be reached',
    })
    expect(text).not.toContain(String(port))
    expect(text).not.toContain('ECONNREFUSED')
    const failed = lines.find((line) => line.includes('"msg":"run failed"'))
    expect(failed).toContain('ECONNREFUSED')
    expect(failed).toContain(`127.0.0.1:${port}`)
  })

  const kinds: Array<{
    name: string
    fail: [number, string, string?]
    message: string
  }> = [
    {
      name: 'a 429',
      fail: [429, 'Rate limit reached for org-abc123 on tokens per min'],
      message: 'the model provider is rate limiting requests; try again later',
    },
    {
      name: "OpenAI's context_length_exceeded",
      fail: [400, 'Your messages resulted in 9999 tokens', 'context_length_exceeded'],
      message: 'the conversation is too long for the model',
    },
    {
      name: "vLLM's maximum context length",
      fail: [400, "This model's maximum context length is 4096 tokens (at vllm-3:8000)"],
      message: 'the conversation is too long for the model',
    },
    {
      name: 'a 401',
      fail: [401, 'Incorrect API key provided: sk-live-1234'],
      message: 'the model provider refused the request',
    },
    {
      name: 'a 503',
      fail: [503, 'backend pool vllm-3:8000 has no healthy members'],
      message: 'the model provider is unavailable; try again later',
    },
  ]
  for (const kind of kinds) {
    it(`shows a fixed message for ${kind.name}`, async () => {
      const { app } = await setup()
      const done = app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'llm', text_prompt: 'Hello' }),
      })
      const [status, text, code] = kind.fail
      ;(await fake.nextStream()).fail(status, text, {}, code)
      const session = (await (await done).json()) as Session
      expect(session.error).toEqual({
        code: 'agent_error',
        message: `The agent failed: ${kind.message}`,
      })
    })
  }

  it("shows nothing of an agent's own error text", async () => {
    const failing = {
      profile: { ...createLlmAgent(fake.baseUrl).profile, id: 'failing' },
      // biome-ignore lint/correctness/useYield: it fails before answering anything.
      async *reply() {
        throw new Error('ENOTFOUND vector-db.corp.internal')
      },
    }
    const { app } = await createTestApp({ agents: [failing] })
    const response = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'failing', text_prompt: 'Hello' }),
    })
    const text = await response.text()
    expect((JSON.parse(text) as Session).error).toEqual({
      code: 'agent_error',
      message: 'The agent failed',
    })
    expect(text).not.toContain('vector-db')
  })
})
