/**
 * HTTP/1.1 over a bare `node:net` socket, for requests `fetch` refuses to send: malformed,
 * oversized, truncated, or trickled in a byte at a time.
 */
import { connect, type Socket } from 'node:net'

export interface RawOutcome {
  /** The status of the answer, if one came. */
  status: number | undefined
  /** Whether the server closed the connection (rather than the test giving up). */
  closedByServer: boolean
  /** Everything the server sent. */
  text: string
}

/**
 * Connects to 127.0.0.1:`port`, lets `send` write (and wait) as it likes, and resolves once the
 * server closes the connection, or after `timeoutMs` (then `closedByServer` is false). Write
 * errors (the server stopped reading) are expected and ignored.
 *
 * @example
 * ```ts
 * const { status } = await exchange(port, (s) => s.write('GET /health HTTP/1.1\r\n\r\n'))
 * ```
 */
export function exchange(
  port: number,
  send: (socket: Socket, closed: () => boolean) => Promise<void> | void,
  timeoutMs = 15_000,
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let closed = false
    let byServer = true
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => undefined)
    const timer = setTimeout(() => {
      byServer = false
      socket.destroy()
    }, timeoutMs)
    socket.on('close', () => {
      closed = true
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]
      resolve({ status: status ? Number(status) : undefined, closedByServer: byServer, text })
    })
    socket.once('connect', () => {
      Promise.resolve(send(socket, () => closed)).catch(() => undefined)
    })
  })
}

/** Writes `data` in pieces of `size` bytes, stopping if the connection closes. */
export async function writeAll(socket: Socket, data: Uint8Array, size = 64 * 1024) {
  for (let offset = 0; offset < data.byteLength && !socket.destroyed; offset += size) {
    const piece = data.subarray(offset, offset + size)
    if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve))
  }
}

/** A request's head: request line, `Host`, `Connection: close`, and `headers`. */
export function head(requestLine: string, headers: Record<string, string> = {}): string {
  const lines = [requestLine, 'Host: 127.0.0.1', 'Connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
