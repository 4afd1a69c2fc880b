import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from './loopback.ts'

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.255.0.9',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::0:1',
    '::ffff:127.0.0.1',
  ])('%s stays on this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    '::2',
    '1::1',
    '::ffff:10.0.0.1',
    'example.com',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '',
  ])('%s may be reached from elsewhere', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })
})
