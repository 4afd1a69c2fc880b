import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import type { ServerConfig } from '../config/config.ts'

/** How Node's HTTP server protects itself, from the configuration. */
export function serverOptions(
  config: Pick<ServerConfig, 'maxHeaderBytes' | 'headersTimeoutMs' | 'requestTimeoutMs'>,
) {
  return {
    // Request line and headers together: 431 above it, before anything is parsed further.
    maxHeaderSize: config.maxHeaderBytes,
    // Slow clients (slowloris) are cut off: headers within headersTimeout, the whole request
    // (body included) within requestTimeout. Answers, such as event streams, are not limited.
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Node looks for expired requests this often (30 s by default): often enough that a short
    // timeout is enforced about on time.
    connectionsCheckingInterval: Math.min(
      30_000,
      Math.max(100, Math.floor(config.headersTimeoutMs / 4)),
    ),
  }
}

/**
 * Serves `fetch` on `config.host`:`config.port` with the configured size limits and timeouts;
 * `onListening` gets the bound address (the port when `config.port` is 0).
 *
 * @example
 * ```ts
 * const http = listen(server.app.fetch, config, (info) => console.log(info.port))
 * ```
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  config: Pick<
    ServerConfig,
    'host' | 'port' | 'maxHeaderBytes' | 'headersTimeoutMs' | 'requestTimeoutMs'
  >,
  onListening?: (info: AddressInfo) => void,
): ServerType {
  return serve(
    {
      fetch,
      hostname: config.host,
      port: config.port,
      serverOptions: serverOptions(config),
    },
    onListening,
  )
}
