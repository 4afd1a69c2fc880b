import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent'
import type { SendResult, WebhookSender } from '../domain/webhook-outbox.ts'
import type { WebhookEndpoint, WebhookEndpoints } from './webhooks-file.ts'

export interface HttpWebhookSenderOptions {
  endpoints: WebhookEndpoints
  /** How long a request may take, connection to the end of the answer's headers. */
  timeoutMs: number
  /**
   * Sends to private, loopback and link-local addresses too. Off, a URL whose host is or
   * resolves to one is refused when connecting (so a DNS name cannot point inside either).
   */
  allowPrivateAddresses: boolean
}

/** Standard Webhooks' `webhook-signature`: one `v1,<base64>` per secret, space-separated. */
export function signatureHeader(
  endpoint: WebhookEndpoint,
  id: string,
  timestamp: Date,
  body: string,
): string {
  return endpoint.signers.map((signer) => signer.sign(id, timestamp, body)).join(' ')
}

/**
 * Sends webhooks over HTTP(S), signed per Standard Webhooks, only to the URLs of the webhooks
 * file: a POST of the JSON body with `webhook-id`, `webhook-timestamp` and `webhook-signature`.
 * Redirects are not followed (a 3xx is a failed attempt), the answer's body is not read beyond
 * its start, and a request that takes longer than the timeout is cut off.
 *
 * @example
 * ```ts
 * const sender = createHttpWebhookSender({ endpoints, timeoutMs: 10_000, allowPrivateAddresses: false })
 * await sender.send({ endpointId: 'billing', id: 'msg_1', body: '{}', timestamp: new Date() })
 * ```
 */
export function createHttpWebhookSender(options: HttpWebhookSenderOptions): WebhookSender {
  const filter = { allowPrivateIPAddress: options.allowPrivateAddresses, keepAlive: true }
  const agents = {
    'http:': new RequestFilteringHttpAgent(filter),
    'https:': new RequestFilteringHttpsAgent(filter),
  }
  return {
    send({ endpointId, id, body, timestamp }): Promise<SendResult> {
      const endpoint = options.endpoints.get(endpointId)
      if (!endpoint)
        return Promise.resolve({
          error: `The endpoint '${endpointId}' is no longer in the webhooks file`,
          permanent: true,
        })
      const { url } = endpoint
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest
      return new Promise((resolve) => {
        const req = request(url, {
          method: 'POST',
          agent: agents[url.protocol as 'http:' | 'https:'],
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'UXMate-Sessions-Webhooks/1',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signatureHeader(endpoint, id, timestamp, body),
          },
        })
        req.once('response', (response) => {
          // The status is the answer; the body is not wanted: drop it and free the socket.
          response.resume()
          resolve({ statusCode: response.statusCode ?? 0 })
        })
        req.once('error', (error: Error) => {
          const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError'
          resolve({
            error: timedOut ? `No answer within ${options.timeoutMs} ms` : error.message,
          })
        })
        req.end(body)
      })
    },
  }
}
