/**
 * A real OpenAI-compatible HTTP server for tests, on 127.0.0.1 and a free port. It answers
 * nothing by itself: each `POST /v1/chat/completions` waits in a queue until the test takes it
 * (`nextStream()` for streamed replies, `nextTitle()` for the others) and answers it chunk by
 * chunk, with an error, or by cutting the connection. Every wait is on an event (a request
 * arriving, a connection closing), never on a timer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions'

/** A request the fake server holds until the test answers it. */
export interface HeldRequest {
  body: ChatCompletionCreateParams
  headers: IncomingMessage['headers']
  /** Resolves when the client closes the connection before the answer is complete. */
  aborted: Promise<void>
  /** Answers with an error status and an OpenAI-style error body (`code` in it, if given). */
  fail(status: number, message?: string, headers?: Record<string, string>, code?: string): void
  /** Sends the headers of a streamed answer. */
  startStream(): void
  /** Sends one chunk of a streamed answer with `text` as its delta. */
  send(text: string): void
  /**
   * Ends a streamed answer: a chunk with `finish_reason`, then, when given and asked for
   * (`stream_options.include_usage`), a chunk with the usage, then `[DONE]`.
   */
  finish(usage?: FakeUsage): void
  /** Ends the HTTP body cleanly, without the final chunk and `[DONE]`. */
  end(): void
  /** Destroys the connection, as a crashing server or a broken network would. */
  cut(): void
  /** Answers a non-streamed completion whose message is `content` (and `usage`, if given). */
  reply(content: string, usage?: FakeUsage): void
}

/** Token counts as a provider reports them. */
export interface FakeUsage {
  prompt_tokens: number
  completion_tokens: number
  cached_tokens?: number
}

const usageBody = ({ cached_tokens, ...usage }: FakeUsage) => ({
  ...usage,
  total_tokens: usage.prompt_tokens + usage.completion_tokens,
  ...(cached_tokens !== undefined && { prompt_tokens_details: { cached_tokens } }),
})

/** What the fake answers by itself to a request, in automatic mode. */
export type AutomaticAnswer = (
  body: ChatCompletionCreateParams,
) => { text: string; usage?: FakeUsage } | { status: number }

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}

/** Requests in arrival order; `take()` waits for the next one. */
function queue<T>() {
  const items: T[] = []
  const waiting: Array<(item: T) => void> = []
  return {
    push(item: T) {
      const taker = waiting.shift()
      if (taker) taker(item)
      else items.push(item)
    },
    take(): Promise<T> {
      const item = items.shift()
      if (item !== undefined) return Promise.resolve(item)
      return new Promise((resolve) => waiting.push(resolve))
    },
  }
}

function hold(
  body: ChatCompletionCreateParams,
  request: IncomingMessage,
  response: ServerResponse,
): HeldRequest {
  const aborted = deferred<void>()
  response.on('close', () => {
    if (!response.writableFinished) aborted.resolve()
  })
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-test',
      object: 'chat.completion.chunk',
      created: 1,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`
  return {
    body,
    headers: request.headers,
    aborted: aborted.promise,
    fail(status, message = `fake error ${status}`, headers = {}, code) {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers })
      response.end(JSON.stringify({ error: { message, type: 'fake_error', code: code ?? null } }))
    },
    startStream() {
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      response.write(chunk({ role: 'assistant', content: '' }, null))
    },
    send(text) {
      response.write(chunk({ content: text }, null))
    },
    finish(usage) {
      response.write(chunk({}, 'stop'))
      const wanted = body.stream && body.stream_options?.include_usage
      if (usage && wanted)
        response.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: usageBody(usage) })}\n\n`,
        )
      response.end('data: [DONE]\n\n')
    },
    end() {
      response.end()
    },
    cut() {
      response.socket?.destroy()
    },
    reply(content, usage) {
      response.writeHead(200, { 'Content-Type': 'application/json' })
      response.end(
        JSON.stringify({
          id: 'chatcmpl-title',
          object: 'chat.completion',
          created: 1,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          ...(usage && { usage: usageBody(usage) }),
        }),
      )
    },
  }
}

export interface FakeOpenAiServer {
  /** The API's URL, `http://127.0.0.1:<port>/v1`: an agent's `base_url`. */
  baseUrl: string
  /** Every chat request received, in order. */
  received: ChatCompletionCreateParams[]
  /** The next request that asks for a streamed reply. */
  nextStream(): Promise<HeldRequest>
  /** The next request that does not stream (the session's title). */
  nextTitle(): Promise<HeldRequest>
  /** From now on, answers every request at once with `answer`'s text, streamed or not. */
  answerAutomatically(answer: AutomaticAnswer): void
  close(): Promise<void>
}

/**
 * Starts the fake server.
 *
 * @example
 * ```ts
 * const fake = await startFakeOpenAiServer()
 * const request = await fake.nextStream()
 * request.startStream(); request.send('Hello'); request.finish()
 * ```
 */
export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const streams = queue<HeldRequest>()
  const titles = queue<HeldRequest>()
  const received: ChatCompletionCreateParams[] = []
  let automatic: AutomaticAnswer | undefined
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      response.writeHead(404).end()
      return
    }
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (part: string) => {
      text += part
    })
    request.on('end', () => {
      const body = JSON.parse(text) as ChatCompletionCreateParams
      received.push(body)
      const held = hold(body, request, response)
      if (automatic) {
        const answer = automatic(body)
        if ('status' in answer) return held.fail(answer.status)
        if (!body.stream) return held.reply(answer.text, answer.usage)
        held.startStream()
        held.send(answer.text)
        return held.finish(answer.usage)
      }
      ;(body.stream ? streams : titles).push(held)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    received,
    nextStream: () => streams.take(),
    nextTitle: () => titles.take(),
    answerAutomatically(answer) {
      automatic = answer
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
