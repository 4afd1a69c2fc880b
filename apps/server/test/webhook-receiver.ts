/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that keeps every request (headers
 * and the raw body) and answers as the test says, and the endpoint entries that point at it.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { WebhookPayload } from '../src/domain/webhook-outbox.ts'

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  body: string
  /** The body, once verified with `secret` (throws when the signature does not match). */
  verified(secret: string): WebhookPayload
}

export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  /** How the next requests are answered; default 204. */
  answer(respond: (response: ServerResponse, request: ReceivedWebhook) => void): void
  close(): Promise<void>
}

/** A fresh Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`

/**
 * Starts a receiver on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const receiver = await startWebhookReceiver()
 * receiver.answer((response) => response.writeHead(500).end())
 * ```
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let respond: (response: ServerResponse, request: ReceivedWebhook) => void = (response) =>
    response.writeHead(204).end()
  const received: ReceivedWebhook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const request: ReceivedWebhook = {
        headers: req.headers,
        body,
        verified: (secret) =>
          new Webhook(secret).verify(body, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as WebhookPayload,
      }
      received.push(request)
      respond(res, request)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    answer(next) {
      respond = next
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
