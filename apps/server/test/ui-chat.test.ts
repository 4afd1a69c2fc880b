/**
 * The AI SDK's chat protocol, spoken by the real `ai` package: its `DefaultChatTransport` and
 * `readUIMessageStream` against a live server.
 */
import type { Session, UiChatMessagesResponse } from '@uxmate/contract'
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { serveTestApp } from './test-app.ts'

type Served = { base: string; close(): Promise<void> }
let served: Served | undefined
afterEach(async () => {
  await served?.close()
  served = undefined
})

async function serve(delayMs = 0, keys?: Record<string, string>): Promise<Served> {
  served = await serveTestApp({
    agents: [createEchoAgent({ delayMs })],
    ...(keys && { apiKeys: keys }),
  })
  return served
}

const userMessage = (text: string, extra: UIMessage['parts'] = []): UIMessage => ({
  id: `u-${text.length}-${Math.random()}`,
  role: 'user',
  parts: [{ type: 'text', text }, ...extra],
})

/** The last state of the assistant message the stream builds, and every chunk. */
async function read(stream: ReadableStream<UIMessageChunk>) {
  const chunks: UIMessageChunk[] = []
  const tee = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        chunks.push(chunk)
        controller.enqueue(chunk)
      },
    }),
  )
  let message: UIMessage | undefined
  for await (const state of readUIMessageStream({ stream: tee })) message = state
  return { message, chunks }
}

const textOf = (message: UIMessage | undefined) =>
  message?.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('')

describe('the AI SDK chat protocol', () => {
  it('regenerates a reply for regenerate-message: a new sibling on the active branch, the old one kept', async () => {
    const { base } = await serve()
    const transport = new DefaultChatTransport({ api: `${base}/chat`, body: { agent_id: 'echo' } })
    const chatId = crypto.randomUUID()
    const first = userMessage('Plan a user interview about onboarding')
    const send = (trigger: 'submit-message' | 'regenerate-message', messageId?: string) =>
      transport.sendMessages({
        chatId,
        messages: [first],
        trigger,
        messageId,
        abortSignal: undefined,
      })
    const original = await read(await send('submit-message'))
    const again = await read(await send('regenerate-message', original.message?.id))
    expect(textOf(again.message)).toBe('You said: Plan a user interview about onboarding')
    expect(again.message?.id).not.toBe(original.message?.id)
    const session = (await (await fetch(`${base}/sessions/${chatId}`)).json()) as Session
    expect(session.messages.map((m) => m.id)).toEqual([session.messages[0]?.id, again.message?.id])
    const tree = (await (await fetch(`${base}/sessions/${chatId}/tree`)).json()) as {
      messages: Array<{ id: string }>
    }
    expect(tree.messages.map((m) => m.id)).toContain(original.message?.id)
    // Without a messageId: the last reply.
    const third = await read(await send('regenerate-message'))
    expect(third.message?.id).not.toBe(again.message?.id)

    const post = (body: object) =>
      fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages: [first], trigger: 'regenerate-message', ...body }),
      })
    expect((await post({ id: crypto.randomUUID() })).status).toBe(404)
    const userMessageId = session.messages[0]?.id
    const wrong = await post({ id: chatId, messageId: userMessageId })
    expect(wrong.status).toBe(422)
    expect(((await wrong.json()) as { detail: Array<{ loc: unknown }> }).detail[0]?.loc).toEqual([
      'body',
      'messageId',
    ])
    expect((await post({ id: chatId, messageId: 'no-such-message' })).status).toBe(404)
  })

  it('answers useChat’s transport with the reply streamed, a session made with the chat id, and its name', async () => {
    const { base } = await serve()
    const transport = new DefaultChatTransport({ api: `${base}/chat`, body: { agent_id: 'echo' } })
    const chatId = crypto.randomUUID()
    const first = userMessage('Plan a user interview about onboarding')
    const { message, chunks } = await read(
      await transport.sendMessages({
        chatId,
        messages: [first],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      }),
    )
    expect(textOf(message)).toBe('You said: Plan a user interview about onboarding')
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'start',
      'data-session',
      'text-start',
      ...chunks.filter((chunk) => chunk.type === 'text-delta').map(() => 'text-delta'),
      'text-end',
      'data-session',
      'finish',
    ])
    const session = (await (await fetch(`${base}/sessions/${chatId}`)).json()) as Session
    expect(session.id).toBe(chatId)
    // The reply's id is the stored message's.
    expect(message?.id).toBe(session.messages[1]?.id)
    expect(chunks.find((chunk) => chunk.type === 'data-session')).toMatchObject({
      data: { id: chatId, name: session.name },
      transient: true,
    })

    // The next turn sends the whole chat; the server takes the new message only.
    const second = await read(
      await transport.sendMessages({
        chatId,
        messages: [first, message as UIMessage, userMessage('Shorter, please')],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      }),
    )
    expect(textOf(second.message)).toBe('You said: Shorter, please')
    const stored = (await (
      await fetch(`${base}/chat/${chatId}/messages`)
    ).json()) as UiChatMessagesResponse
    expect(stored.messages.map((m) => [m.role, m.parts[0]])).toEqual([
      ['user', { type: 'text', text: 'Plan a user interview about onboarding' }],
      ['assistant', { type: 'text', text: 'You said: Plan a user interview about onboarding' }],
      ['user', { type: 'text', text: 'Shorter, please' }],
      ['assistant', { type: 'text', text: 'You said: Shorter, please' }],
    ])
  })

  it('stores file parts sent as data: URLs, and lists them as download links', async () => {
    const { base } = await serve()
    const transport = new DefaultChatTransport({ api: `${base}/chat`, body: { agent_id: 'echo' } })
    const chatId = crypto.randomUUID()
    const url = `data:text/plain;base64,${Buffer.from('Interview notes').toString('base64')}`
    await read(
      await transport.sendMessages({
        chatId,
        messages: [
          userMessage('Summarise', [
            { type: 'file', mediaType: 'text/plain', filename: 'notes.txt', url },
          ]),
        ],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      }),
    )
    const stored = (await (
      await fetch(`${base}/chat/${chatId}/messages`)
    ).json()) as UiChatMessagesResponse
    const file = stored.messages[0]?.parts[1]
    expect(file).toMatchObject({ type: 'file', mediaType: 'text/plain', filename: 'notes.txt' })
    const download = await fetch(`${base}${(file as { url: string }).url}`)
    expect(await download.text()).toBe('Interview notes')
  })

  it('resumes a reply in progress from its start after a dropped connection, 204 when nothing runs', async () => {
    const { base } = await serve(30)
    const transport = new DefaultChatTransport({ api: `${base}/chat`, body: { agent_id: 'echo' } })
    const chatId = crypto.randomUUID()
    expect(await transport.reconnectToStream({ chatId })).toBeNull()
    const words = 'one two three four five six seven eight'
    const dropped = new AbortController()
    const stream = await transport.sendMessages({
      chatId,
      messages: [userMessage(words)],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: dropped.signal,
    })
    const reader = stream.getReader()
    await reader.read()
    dropped.abort()
    await reader.cancel().catch(() => {})
    // The run goes on; a reconnect gets the reply from its start, then the rest.
    const resumed = await transport.reconnectToStream({ chatId })
    expect(resumed).not.toBeNull()
    const { message, chunks } = await read(resumed as ReadableStream<UIMessageChunk>)
    expect(chunks[0]).toMatchObject({ type: 'start' })
    expect(textOf(message)).toBe(`You said: ${words}`)
    expect(await transport.reconnectToStream({ chatId })).toBeNull()
  })

  it('ends with abort when the run is cancelled, keeping the partial reply', async () => {
    const { base } = await serve(40)
    const transport = new DefaultChatTransport({ api: `${base}/chat`, body: { agent_id: 'echo' } })
    const chatId = crypto.randomUUID()
    const stream = await transport.sendMessages({
      chatId,
      messages: [userMessage('a b c d e f g h i j k l m n o p')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    })
    const reading = read(stream)
    await new Promise((resolve) => setTimeout(resolve, 150))
    const cancelled = await fetch(`${base}/sessions/${chatId}/cancel`, { method: 'POST' })
    expect(((await cancelled.json()) as Session).error?.code).toBe('cancelled')
    const { message, chunks } = await reading
    expect(chunks.at(-1)).toMatchObject({ type: 'abort' })
    const partial = textOf(message) ?? ''
    expect(partial.length).toBeGreaterThan(0)
    const session = (await (await fetch(`${base}/sessions/${chatId}`)).json()) as Session
    expect(session.messages[1]?.text).toBe(partial)
  })

  it('keeps owners apart: a chat id of another owner can be neither read nor taken', async () => {
    const { base } = await serve(0, { 'key-a': 'alice', 'key-b': 'bob' })
    const as = (key: string) =>
      new DefaultChatTransport({
        api: `${base}/chat`,
        body: { agent_id: 'echo' },
        headers: { Authorization: `Bearer ${key}` },
      })
    const chatId = crypto.randomUUID()
    await read(
      await as('key-a').sendMessages({
        chatId,
        messages: [userMessage('Mine')],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      }),
    )
    const bob = { Authorization: 'Bearer key-b' }
    expect((await fetch(`${base}/chat/${chatId}/messages`, { headers: bob })).status).toBe(404)
    expect(await as('key-b').reconnectToStream({ chatId })).toBeNull()
    const taken = await fetch(`${base}/chat`, {
      method: 'POST',
      headers: { ...bob, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: chatId, agent_id: 'echo', messages: [userMessage('Yours?')] }),
    })
    expect(taken.status).toBe(409)
    const alice = (await (
      await fetch(`${base}/sessions/${chatId}`, { headers: { Authorization: 'Bearer key-a' } })
    ).json()) as Session
    expect(alice.messages).toHaveLength(2)
  })

  it('takes any opaque id as a chat id, and its session answers the session routes by that id', async () => {
    const { base } = await serve()
    const post = (id: string) =>
      fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id, agent_id: 'echo', messages: [userMessage('hello')] }),
      })
    const id = 'imported:chat.42~v1'
    const started = await post(id)
    expect(started.status).toBe(200)
    await started.text()
    const session = (await (await fetch(`${base}/sessions/${id}`)).json()) as Session
    expect(session.id).toBe(id)
    const renamed = await fetch(`${base}/sessions/${id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Imported' }),
    })
    expect(renamed.status).toBe(200)
    for (const bad of ['.hidden', 'x'.repeat(129), 'a b'])
      expect((await post(bad)).status).toBe(422)
  })

  it('refuses a last message that is not the user’s, a remote file URL, and a new chat without agent', async () => {
    const { base } = await serve()
    const post = (body: unknown) =>
      fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
    const id = crypto.randomUUID()
    const assistant = { id: 'a', role: 'assistant', parts: [{ type: 'text', text: 'hi' }] }
    expect((await post({ id, agent_id: 'echo', messages: [assistant] })).status).toBe(422)
    const remote = userMessage('look', [
      { type: 'file', mediaType: 'image/png', url: 'http://169.254.169.254/latest' },
    ])
    expect((await post({ id, agent_id: 'echo', messages: [remote] })).status).toBe(422)
    expect((await post({ id, messages: [userMessage('hello')] })).status).toBe(422)
    expect((await post({ id, agent_id: 'nope', messages: [userMessage('hello')] })).status).toBe(
      404,
    )
    expect((await fetch(`${base}/sessions/${id}`)).status).toBe(404)
  })
})
