import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { clientAddress } from './client-address.ts'

const from = (remoteAddress: string | undefined) =>
  ({ env: { incoming: { socket: { remoteAddress } } } }) as unknown as Context

describe('clientAddress', () => {
  it('is the socket peer, IPv4-mapped addresses as IPv4, IPv6 as its /64', () => {
    expect(clientAddress(from('203.0.113.7'))).toBe('203.0.113.7')
    expect(clientAddress(from('::ffff:127.0.0.1'))).toBe('127.0.0.1')
    expect(clientAddress(from('2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::/64')
    expect(clientAddress(from('2001:db8:1:2::99'))).toBe('2001:db8:1:2::/64')
    expect(clientAddress(from('2001:0db8::1'))).toBe('2001:db8:0:0::/64')
    expect(clientAddress(from('::1'))).toBe('0:0:0:0::/64')
    expect(clientAddress(from('fe80::1%eth0'))).toBe('fe80:0:0:0::/64')
  })

  it('is unknown outside a real socket', () => {
    expect(clientAddress({ env: undefined } as unknown as Context)).toBe('unknown')
    expect(clientAddress(from(undefined))).toBe('unknown')
  })
})
