/**
 * The `openai` provider against a real OpenAI-compatible HTTP server (see fake-openai-server.ts):
 * what the model is sent, and what is stored for each way its answer can go.
 */
import type { Session } from '@uxmate/contract'
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { readSse } from './sse-reader.ts'
import { createLlmAgent, createTestApp, sessionForm } from './test-app.ts'

let fake: FakeOpenAiServer
beforeEach(async () => {
  fake = await startFakeOpenAiServer()
})
afterEach(async () => {
  await fake.close()
})

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function setup(entry: Record<string, unknown> = {}, settings = {}) {
  const agent = createLlmAgent(fake.baseUrl, entry, settings)
  return createTestApp({ agents: [agent], config: settings })
}

/** Starts a session; resolves once the run has ended (the server waits for it). */
async function create(
  app: App,
  text = 'Plan a user interview about onboarding',
  files: Parameters<typeof sessionForm>[1] = [],
): Promise<Session> {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'llm', text_prompt: text }, files),
  })
  return (await response.json()) as Session
}

/** Answers the session's title request with `title`. */
async function answerTitle(title: string) {
  const request = await fake.nextTitle()
  request.reply(title)
  return request
}

describe('openai provider: replies', () => {
  it('streams the reply chunk by chunk and stores it, titled by the model', async () => {
    const { app } = await setup({ instructions: 'You are a UX researcher.' })
    const done = create(app)
    const request = await fake.nextStream()
    const body = request.body as ChatCompletionCreateParamsStreaming
    expect(body.model).toBe('test-model')
    expect(body.stream).toBe(true)
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are a UX researcher.' },
      { role: 'user', content: 'Plan a user interview about onboarding' },
    ])
    expect(request.headers.authorization).toBe('Bearer sk-test')
    request.startStream()
    request.send('Start ')
    const title = await answerTitle('"Onboarding interview plan."')
    expect(title.body.stream).toBeFalsy()
    request.send('with ')
    request.send('goals.')
    request.finish()

    const session = await done
    expect(session.status).toBe('Ready')
    expect(session.error).toBeUndefined()
    expect(session.name).toBe('Onboarding interview plan')
    expect(session.messages.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'user', text: 'Plan a user interview about onboarding' },
      { role: 'assistant', text: 'Start with goals.' },
    ])
  })

  it('sends the whole conversation on the next turn, without a second title', async () => {
    const { app } = await setup()
    const first = create(app, 'Hello')
    const one = await fake.nextStream()
    one.startStream()
    one.send('Hi!')
    await answerTitle('Greetings')
    one.finish()
    const session = await first

    const next = app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'And then?' }),
      headers: { 'Content-Type': 'application/json' },
    })
    const two = await fake.nextStream()
    expect((two.body as ChatCompletionCreateParamsStreaming).messages).toEqual([
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi!' },
      { role: 'user', content: 'And then?' },
    ])
    two.startStream()
    two.send('Then more.')
    two.finish()
    const updated = (await (await next).json()) as Session
    expect(updated.status).toBe('Ready')
    expect(updated.name).toBe('Greetings')
    expect(updated.messages.at(-1)?.text).toBe('Then more.')
    // One title request in all: only the first reply is titled.
    expect(fake.received.filter((body) => !body.stream)).toHaveLength(1)
  })

  it('keeps Running while a slow reply trickles in, streaming each piece as it comes', async () => {
    const { app } = await setup()
    const started = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'llm', text_prompt: 'Take your time' }),
        headers: { Prefer: 'respond-async' },
      })
    ).json()) as Session
    const events = readSse(await app.request(`/sessions/${started.id}/events`))
    expect(await events.nextEvent()).toMatchObject({ event: 'status', data: { status: 'Running' } })

    const request = await fake.nextStream()
    request.startStream()
    for (const piece of ['One ', 'two ', 'three.']) {
      request.send(piece)
      expect(await events.nextEvent()).toMatchObject({
        event: 'message.delta',
        data: { text: piece },
      })
      const now = (await (await app.request(`/sessions/${started.id}`)).json()) as Session
      expect(now.status).toBe('Running')
      expect(now.messages).toHaveLength(1)
    }
    await answerTitle('Slow one')
    request.finish()
    const rest = await events.rest()
    expect(rest.map((event) => event.event)).toEqual(['message.completed', 'status'])
    expect(rest[0]?.data).toMatchObject({ message: { role: 'assistant', text: 'One two three.' } })
    expect(rest[1]?.data).toEqual({ status: 'Ready' })
  })

  it('retries a 429 and then stores the reply', async () => {
    const { app } = await setup()
    const done = create(app)
    const limited = await fake.nextStream()
    limited.fail(429, 'Rate limit reached', { 'retry-after-ms': '1' })
    const retried = await fake.nextStream()
    retried.startStream()
    retried.send('Worth the wait.')
    await answerTitle('Retried')
    retried.finish()
    const session = await done
    expect(session.status).toBe('Ready')
    expect(session.messages.at(-1)).toMatchObject({ role: 'assistant', text: 'Worth the wait.' })
    expect(fake.received.filter((body) => body.stream)).toHaveLength(2)
  })

  it('ends Flushed with agent_error after a 500 that retries do not cure', async () => {
    const { app } = await setup({}, { agentMaxRetries: 2 })
    const done = create(app)
    for (let attempt = 0; attempt < 3; attempt++) {
      ;(await fake.nextStream()).fail(500, 'The model is down', { 'retry-after-ms': '1' })
    }
    const session = await done
    expect(session.status).toBe('Flushed')
    expect(session.error?.code).toBe('agent_error')
    // What the provider said is for the log (see provider-errors.test.ts).
    expect(session.error?.message).toBe(
      'The agent failed: the model provider is unavailable; try again later',
    )
    expect(session.messages).toHaveLength(1)
    expect(session.name).toBe('Plan a user interview about onboarding')
  })

  it('ends Flushed when the connection is cut mid-stream, storing no half reply', async () => {
    const { app } = await setup()
    const done = create(app)
    const request = await fake.nextStream()
    request.startStream()
    request.send('Half a sen')
    // The title is asked for once the reply is under way; leave it unanswered.
    const title = await fake.nextTitle()
    request.cut()
    const session = await done
    expect(session.status).toBe('Flushed')
    expect(session.error?.code).toBe('agent_error')
    expect(session.error?.message).toBe("The agent failed: the model provider's reply broke off")
    expect(session.messages.map((message) => message.role)).toEqual(['user'])
    // A failed run keeps the prompt's title, and stops asking for one.
    expect(session.name).toBe('Plan a user interview about onboarding')
    await title.aborted
  })

  it('ends Flushed when a stream stops before its finish_reason', async () => {
    const { app } = await setup()
    const done = create(app)
    const request = await fake.nextStream()
    request.startStream()
    request.send('Cut ')
    await answerTitle('Cut')
    // A clean end of the HTTP body, but no final chunk and no [DONE].
    request.end()
    const session = await done
    expect(session.status).toBe('Flushed')
    expect(session.error?.message).toBe("The agent failed: the model provider's reply broke off")
  })

  it('ends Flushed when a stream falls silent for AGENT_REQUEST_TIMEOUT_MS', async () => {
    const { app } = await setup({}, { agentRequestTimeoutMs: 500, agentMaxRetries: 0 })
    const done = create(app)
    const request = await fake.nextStream()
    request.startStream()
    request.send('And then… ')
    const session = await done
    expect(session.status).toBe('Flushed')
    expect(session.error?.message).toBe(
      'The agent failed: the model provider did not answer in time',
    )
    await request.aborted
  })

  it('keeps the prompt title when titling fails', async () => {
    const { app } = await setup()
    const done = create(app)
    const request = await fake.nextStream()
    request.startStream()
    request.send('Fine.')
    ;(await fake.nextTitle()).fail(500)
    request.finish()
    const session = await done
    expect(session.status).toBe('Ready')
    expect(session.name).toBe('Plan a user interview about onboarding')
    // Titles are not retried: one request only.
    expect(fake.received.filter((body) => !body.stream)).toHaveLength(1)
  })

  it('keeps the prompt title when titling outlasts AGENT_TITLE_TIMEOUT_MS', async () => {
    const { app } = await setup({}, { agentTitleTimeoutMs: 50 })
    const done = create(app)
    const request = await fake.nextStream()
    request.startStream()
    request.send('Fine.')
    const title = await fake.nextTitle()
    request.finish()
    const session = await done
    expect(session.status).toBe('Ready')
    expect(session.name).toBe('Plan a user interview about onboarding')
    await title.aborted
  })
})

describe('openai provider: files', () => {
  const csv = 'name,score\nada,3\n'

  it('reads file bytes only for agents that send them, only as much as is sent', async () => {
    const reads: Array<number | undefined> = []
    const wrapStore = (store: SessionStore): SessionStore => ({
      ...store,
      readFileBytes(sessionId, fileId, maxBytes) {
        reads.push(maxBytes)
        return store.readFileBytes(sessionId, fileId, maxBytes)
      },
    })
    const files = [
      { name: 'scores.csv', type: 'text/csv', content: csv },
      { name: 'report.pdf', type: 'application/pdf', content: '%PDF-1.7' },
    ]
    const echo = await createTestApp({ wrapStore })
    const echoed = (await (
      await echo.app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Files' }, files),
      })
    ).json()) as Session
    expect(echoed.status).toBe('Ready')
    expect(reads).toEqual([])

    const llm = await createTestApp({
      agents: [createLlmAgent(fake.baseUrl, {}, { agentInlineFileBytes: 1000 })],
      wrapStore,
    })
    const done = create(llm.app, 'Files', files)
    const request = await fake.nextStream()
    // The CSV, up to the inline limit; the PDF is only named, never read.
    expect(reads).toEqual([1000])
    request.fail(400)
    await done
  })

  it('inlines text files, sends images as data URLs and names other files', async () => {
    const { app } = await setup()
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47])
    const done = create(app, 'What do these say?', [
      { name: 'scores.csv', type: 'text/csv', content: csv },
      { name: 'notes.md', type: '', content: '# Notes' },
      { name: 'shot.png', type: 'image/png', content: png },
      { name: 'report.pdf', type: 'application/pdf', content: '%PDF-1.7' },
    ])
    const request = await fake.nextStream()
    const [user] = (request.body as ChatCompletionCreateParamsStreaming).messages
    expect(user?.role).toBe('user')
    expect(user?.content).toEqual([
      { type: 'text', text: 'What do these say?' },
      {
        type: 'text',
        text: `Attached file "scores.csv" (text/csv, ${csv.length} bytes):\n--- begin scores.csv ---\n${csv}\n--- end scores.csv ---`,
      },
      {
        type: 'text',
        text: 'Attached file "notes.md" (application/octet-stream, 7 bytes):\n--- begin notes.md ---\n# Notes\n--- end notes.md ---',
      },
      { type: 'text', text: 'Attached image "shot.png" (image/png, 4 bytes):' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw==' } },
      {
        type: 'text',
        text: 'Attached file "report.pdf" (application/pdf, 8 bytes); its contents are not included.',
      },
    ])
    request.startStream()
    request.send('They say things.')
    await answerTitle('Files')
    request.finish()
    expect((await done).status).toBe('Ready')
  })

  it('cuts text files at AGENT_INLINE_FILE_BYTES, and names images for models without vision', async () => {
    // 11 bytes end in the middle of the sixth 'é' (2 bytes each): that half is left out.
    const { app } = await setup({ vision: false }, { agentInlineFileBytes: 11 })
    const done = create(app, 'Read', [
      { name: 'long.txt', type: 'text/plain', content: 'é'.repeat(20) },
      { name: 'shot.png', type: 'image/png', content: new Uint8Array(3) },
    ])
    const request = await fake.nextStream()
    const [user] = (request.body as ChatCompletionCreateParamsStreaming).messages
    expect(user?.content).toEqual([
      { type: 'text', text: 'Read' },
      {
        type: 'text',
        text: 'Attached file "long.txt" (text/plain, 40 bytes) (only its first 11 bytes are included):\n--- begin long.txt ---\nééééé\n--- end long.txt ---',
      },
      {
        type: 'text',
        text: 'Attached file "shot.png" (image/png, 3 bytes); its contents are not included.',
      },
    ])
    request.fail(400, 'enough')
    expect((await done).status).toBe('Flushed')
  })
})
