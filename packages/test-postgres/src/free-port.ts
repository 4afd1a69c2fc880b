import { createServer } from 'node:net'

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, chosen by the kernel. Another
 * process may still take it before the caller binds it: callers retry on another.
 *
 * @example
 * ```ts
 * const port = await freePort()
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
