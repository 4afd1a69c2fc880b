import type { IncomingMessage } from 'node:http'
import { isIPv6 } from 'node:net'
import type { Context } from 'hono'

/**
 * The address a request came from, as its limits count it: the socket's peer (there is no
 * trusted-proxy setting, so `X-Forwarded-For` and the like, which any client can send, are not
 * believed). An IPv4-mapped IPv6 address is its IPv4 one; an IPv6 address stands for its /64,
 * the block one host is given, so that a host cannot step round a limit by changing its address
 * within it. `unknown` when the request did not come through Node's HTTP server (`app.request`).
 *
 * @example
 * ```ts
 * clientAddress(c) // '203.0.113.7', or '2001:db8:1:2::/64'
 * ```
 */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  const address = incoming?.socket?.remoteAddress
  if (address === undefined) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1]) return mapped[1]
  return isIPv6(address) ? ipv6Block(address) : address
}

/** `2001:db8:1:2:3:4:5:6` -> `2001:db8:1:2::/64` (the first four groups, without zeros). */
function ipv6Block(address: string): string {
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? []
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [
    ...left,
    ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ]
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`
}
