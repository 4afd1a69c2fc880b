/**
 * Rate limits per owner: a token bucket, 429 with Retry-After past it, and the IETF RateLimit
 * headers on every answer of an operation that takes a key.
 */
import { describe, expect, it } from 'vitest'
import { rateLimitHeaders } from '../src/http/security/rate-limit.ts'
import { createManualClock, createTestApp } from './test-app.ts'

const keys = { uxm_a: 'team-a', uxm_b: 'team-b' }
const as = (key: string) => ({ headers: { Authorization: `Bearer ${key}` } })

describe('rate limits', () => {
  it('lets a burst through, then answers 429 with Retry-After until tokens come back', async () => {
    const clock = createManualClock()
    const { app } = await createTestApp({
      clock,
      apiKeys: keys,
      config: { rateLimitPerSecond: 2, rateLimitBurst: 3 },
    })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await app.request('/agents', as('uxm_a'))).status)
    expect(statuses).toEqual([200, 200, 200, 429])

    const refused = await app.request('/agents', as('uxm_a'))
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toBe('1')
    expect(refused.headers.get('RateLimit-Policy')).toBe('"default";q=3;w=2')
    expect(refused.headers.get('RateLimit')).toBe('"default";r=0;t=2')
    expect(await refused.json()).toEqual({ detail: 'Too many requests; retry in 1 s' })

    // Another owner has a bucket of its own.
    expect((await app.request('/agents', as('uxm_b'))).status).toBe(200)

    clock.advance(500)
    const again = await app.request('/agents', as('uxm_a'))
    expect(again.status).toBe(200)
    expect(again.headers.get('RateLimit')).toBe('"default";r=0;t=2')
  })

  it('counts refused requests before reading them, and never limits the probes', async () => {
    const { app } = await createTestApp({ config: { rateLimitPerSecond: 1, rateLimitBurst: 1 } })
    expect((await app.request('/sessions?agent_id=echo')).status).toBe(200)
    const refused = await app.request('/sessions/text', {
      method: 'POST',
      body: 'not a form',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(refused.status).toBe(429)
    for (let i = 0; i < 5; i++) {
      const health = await app.request('/health')
      expect(health.status).toBe(200)
      expect(health.headers.get('RateLimit')).toBeNull()
    }
  })

  it('is off with RATE_LIMIT_PER_SECOND=0: no 429, no RateLimit headers', async () => {
    const { app } = await createTestApp({ config: { rateLimitPerSecond: 0, rateLimitBurst: 1 } })
    for (let i = 0; i < 20; i++) {
      const response = await app.request('/agents')
      expect(response.status).toBe(200)
      expect(response.headers.get('RateLimit-Policy')).toBeNull()
    }
  })

  it('writes the draft-ietf-httpapi-ratelimit-headers structured fields', () => {
    const limit = { ratePerSecond: 50, burst: 100 }
    const taken = { allowed: true, remaining: 42, retryAfterSeconds: 0, resetSeconds: 2 }
    expect(rateLimitHeaders(limit, taken)).toEqual({
      'RateLimit-Policy': '"default";q=100;w=2',
      RateLimit: '"default";r=42;t=2',
    })
    // A window is a whole number of seconds, at least one.
    expect(rateLimitHeaders({ ratePerSecond: 1000, burst: 10 }, taken)['RateLimit-Policy']).toBe(
      '"default";q=10;w=1',
    )
  })
})
