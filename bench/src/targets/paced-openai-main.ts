/**
 * An OpenAI-compatible fake that paces its tokens, for the open-loop many-owners part: no LLM
 * is reachable from the bench, and an LLM's tokens arrive at the provider's pace, not ours.
 * `POST /v1/chat/completions` with `stream: true` answers `PACED_TOKENS` chunks, one every
 * `PACED_TOKEN_MS` on an absolute schedule from the request (the first after one interval, as
 * a fast provider's first token), then the finish chunk, the usage when asked, and `[DONE]`;
 * without `stream` (the session's title) it answers at once. `GET /health` answers 200.
 *
 * Env: PORT, HOST (127.0.0.1), PACED_TOKEN_MS (20), PACED_TOKENS (100).
 */
import { createServer, type ServerResponse } from 'node:http'

const tokenMs = Number(process.env.PACED_TOKEN_MS ?? 20)
const tokens = Number(process.env.PACED_TOKENS ?? 100)

interface ChatRequest {
  model?: string
  stream?: boolean
  stream_options?: { include_usage?: boolean }
}

const chunk = (model: string, delta: object, finish: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-paced',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`

/** Streams the reply token by token; each token is due at `start + (i + 1) × tokenMs`. */
function stream(body: ChatRequest, response: ServerResponse): void {
  const model = body.model ?? 'paced'
  const start = performance.now()
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  response.write(chunk(model, { role: 'assistant', content: '' }, null))
  let sent = 0
  const next = () => {
    if (response.destroyed) return
    if (sent === tokens) {
      response.write(chunk(model, {}, 'stop'))
      if (body.stream_options?.include_usage) {
        response.write(
          `data: ${JSON.stringify({
            id: 'chatcmpl-paced',
            object: 'chat.completion.chunk',
            created: 1,
            model,
            choices: [],
            usage: { prompt_tokens: 20, completion_tokens: tokens, total_tokens: 20 + tokens },
          })}\n\n`,
        )
      }
      response.end('data: [DONE]\n\n')
      return
    }
    response.write(chunk(model, { content: `tok${sent} ` }, null))
    sent += 1
    // Absolute: a late timer does not push every later token back.
    setTimeout(next, Math.max(0, start + (sent + 1) * tokenMs - performance.now()))
  }
  setTimeout(next, tokenMs)
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    return
  }
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
    const body = JSON.parse(text) as ChatRequest
    if (body.stream) return stream(body, response)
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        id: 'chatcmpl-title',
        object: 'chat.completion',
        created: 1,
        model: body.model ?? 'paced',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Paced run' }, finish_reason: 'stop' },
        ],
      }),
    )
  })
})
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1')
process.once('SIGTERM', () => server.close(() => process.exit(0)))
