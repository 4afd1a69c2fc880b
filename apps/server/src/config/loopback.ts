import { isIPv4, isIPv6 } from 'node:net'

/**
 * Whether listening on `host` keeps the server to this machine: `localhost`, 127.0.0.0/8 or
 * `::1` (also IPv4-mapped). Anything else (`0.0.0.0`, `::`, a LAN address, a name) may be
 * reachable from elsewhere, which an open server (no API keys) must not be by accident.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('0.0.0.0') // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name === 'localhost.') return true
  if (isIPv4(name)) return name.startsWith('127.')
  if (!isIPv6(name)) return false
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)
  if (mapped?.[1]) return isIPv4(mapped[1]) && mapped[1].startsWith('127.')
  // Every spelling of ::1: the groups are all zero but the last, which is 1.
  const groups = expandIpv6(name) ?? []
  return groups.length === 8 && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1
}

function expandIpv6(address: string): number[] | undefined {
  const [head = '', tail] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const missing = 8 - left.length - right.length
  if (tail === undefined && missing !== 0) return undefined
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right]
  return groups.length === 8 ? groups.map((g) => Number.parseInt(g, 16)) : undefined
}
