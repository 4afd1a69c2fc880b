/**
 * Failed authentication is limited per client address, over real sockets: an address that keeps
 * sending a wrong key gets 429s past its budget, while valid keys from it and wrong keys from
 * other addresses go on as before. The address is the socket's: a forwarded-for header is not
 * believed.
 */
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { serveTestApp } from './test-app.ts'

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** GET `path` from the local address `from` (127.0.0.1, 127.0.0.2: both loopback on Linux). */
function get(port: number, from: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: '127.0.0.1', port, path: '/agents', localAddress: from, headers },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        )
      },
    )
    sent.on('error', reject)
    sent.end()
  })
}

async function serve() {
  const served = await serveTestApp({
    apiKeys: { 'uxm_valid-key': 'team-a' },
    config: { authFailuresPerMinute: 1, authFailuresBurst: 3, authFailureAddresses: 100 },
  })
  close = served.close
  return served.port
}

const wrong = { Authorization: 'Bearer uxm_guessed-key' }
const valid = { Authorization: 'Bearer uxm_valid-key' }

describe('failed authentication per client address', () => {
  it('answers 429 past the budget, to that address only and never to a valid key', async () => {
    const port = await serve()
    const first = await get(port, '127.0.0.1', wrong)
    expect(first.status).toBe(401)
    expect(first.headers['ratelimit-policy']).toBe('"auth-failures";q=3;w=180')
    expect(first.headers.ratelimit).toBe('"auth-failures";r=2;t=60')
    expect((await get(port, '127.0.0.1', {})).status).toBe(401)
    expect((await get(port, '127.0.0.1', wrong)).status).toBe(401)

    const limited = await get(port, '127.0.0.1', wrong)
    expect(limited.status).toBe(429)
    // A token comes back a minute after the budget was spent (less the time these requests took).
    const retryAfter = Number(limited.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(limited.headers.ratelimit).toMatch(/^"auth-failures";r=0;t=1[0-9]{2}$/)
    expect(JSON.parse(limited.body)).toEqual({
      detail: `Too many requests; retry in ${retryAfter} s`,
    })
    // A header any client can send does not make it another address.
    const forwarded = await get(port, '127.0.0.1', { ...wrong, 'X-Forwarded-For': '198.51.100.7' })
    expect(forwarded.status).toBe(429)

    // The valid key from the same address is served, and counts nothing.
    const served = await get(port, '127.0.0.1', valid)
    expect(served.status).toBe(200)
    expect(served.headers.ratelimit).toBeUndefined()
    // Another address has its own budget.
    expect((await get(port, '127.0.0.2', wrong)).status).toBe(401)
    expect((await get(port, '127.0.0.1', wrong)).status).toBe(429)
  })
})
