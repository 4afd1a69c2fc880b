import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerMetrics } from './metrics.ts'

/**
 * Serves `GET /metrics` (the Prometheus text exposition format) on an address of its own,
 * apart from the API: what may scrape it is decided by where it listens (loopback, a private
 * network), never by the owners' API keys, and a scrape goes through none of the API's
 * middleware, rate limit included. Anything else is `404`; another method on `/metrics`, `405`.
 *
 * @example
 * ```ts
 * const server = listenMetrics(metrics, { host: '127.0.0.1', port: 9464 })
 * // curl http://127.0.0.1:9464/metrics
 * ```
 */
export function listenMetrics(
  metrics: ServerMetrics,
  address: { host: string; port: number },
  onListening?: (info: AddressInfo) => void,
): Server {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n')
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end()
      return
    }
    metrics.scrape().then(
      (text) => {
        response.writeHead(200, {
          'Content-Type': metrics.contentType,
          'Cache-Control': 'no-store',
        })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(error)}\n`)
      },
    )
  })
  server.listen(address.port, address.host, () => onListening?.(server.address() as AddressInfo))
  return server
}
