/**
 * What a browser and an attacker see of the server: security headers, CORS, and errors that
 * give nothing away.
 */
import type { AddressInfo } from 'node:net'
import type { Session } from '@uxmate/contract'
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import { listen } from '../src/http/node-server.ts'
import { apiSecurity, docsSecurity } from '../src/http/security/secure-headers.ts'
import { readSse } from './sse-reader.ts'
import { createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

describe('security headers', () => {
  it('locks the API down: no script, no framing, no sniffing', async () => {
    const { app } = await createTestApp()
    for (const path of ['/health', '/sessions?agent_id=echo', '/sessions/nope', '/no/such/path']) {
      const response = await app.request(path)
      expect(response.headers.get('Content-Security-Policy'), path).toBe(
        "default-src 'none'; frame-ancestors 'none'; sandbox",
      )
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(response.headers.get('X-Frame-Options')).toBe('DENY')
      expect(response.headers.get('Referrer-Policy')).toBe('no-referrer')
      expect(response.headers.get('Cross-Origin-Resource-Policy')).toBe('same-origin')
    }
  })

  it("sends exactly hono/secure-headers' set, API and docs alike", async () => {
    const { app } = await createTestApp()
    for (const [path, options] of [
      ['/sessions?agent_id=echo', apiSecurity],
      ['/health', apiSecurity],
      ['/docs', docsSecurity],
    ] as const) {
      const expected = await new Hono()
        .use(secureHeaders(options))
        .get('/', (c) => c.body(null, 204))
        .request('/')
      const served = (await app.request(path)).headers
      expect([...expected.headers].length).toBeGreaterThan(10)
      for (const [name, value] of expected.headers)
        expect(served.get(name), `${path} ${name}`).toBe(value)
    }
  })

  it('lets /docs load its own scripts and styles, and nothing from elsewhere', async () => {
    const { app } = await createTestApp()
    for (const path of ['/docs', '/docs/init.js', '/docs/assets/swagger-ui.css']) {
      const policy = (await app.request(path)).headers.get('Content-Security-Policy') ?? ''
      expect(policy, path).toContain("script-src 'self'")
      expect(policy).toContain("connect-src 'self'")
      expect(policy).toContain("frame-ancestors 'none'")
      expect(policy).not.toMatch(/https?:|\*/)
    }
  })
})

describe('CORS', () => {
  const origin = 'https://app.example.com'

  it('sends no CORS header unless origins are configured', async () => {
    const { app } = await createTestApp()
    const response = await app.request('/agents', { headers: { Origin: origin } })
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })

  it('answers preflights for the configured origins, before any API key is asked for', async () => {
    const { app } = await createTestApp({
      config: { corsOrigins: [origin] },
      apiKeys: { uxm_a: 'a' },
    })
    const preflight = await app.request('/sessions/text', {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, idempotency-key, prefer',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe(origin)
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toBe(
      'Authorization,Content-Type,Idempotency-Key,Prefer,X-Request-Id,Last-Event-ID,If-None-Match',
    )
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toContain('DELETE')

    const answer = await app.request('/agents', {
      headers: { Origin: origin, Authorization: 'Bearer uxm_a' },
    })
    expect(answer.headers.get('Access-Control-Allow-Origin')).toBe(origin)
    expect(answer.headers.get('Access-Control-Expose-Headers')).toBe(
      'X-Request-Id,Retry-After,RateLimit,RateLimit-Policy,Preference-Applied,Idempotent-Replayed,ETag',
    )
    const stranger = await app.request('/agents', {
      headers: { Origin: 'https://evil.example', Authorization: 'Bearer uxm_a' },
    })
    expect(stranger.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})

describe('errors', () => {
  it('answers deeply nested JSON with a 422, never a 500', async () => {
    const { app } = await createTestApp()
    const created = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Hi' }),
      })
    ).json()) as Session
    for (const body of [
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"text_prompt":"x","extra":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`,
    ]) {
      const response = await app.request(`/sessions/${created.id}`, {
        method: 'PUT',
        body,
        headers: { 'Content-Type': 'application/json' },
      })
      expect(response.status).toBe(422)
      expect(await response.json()).toMatchObject({
        detail: [{ type: 'json_invalid', msg: 'JSON decode error' }],
      })
    }
    // Nesting a little below the limit is read, and only the unknown field is ignored.
    const fine = await app.request(`/sessions/${created.id}`, {
      method: 'PATCH',
      body: `{"name":"Deep","extra":${'['.repeat(150)}${']'.repeat(150)}}`,
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'deep' },
    })
    expect(fine.status).toBe(200)
  })

  it('says nothing about the code or the files when something breaks inside', async () => {
    const corrupt = async (): Promise<never> => {
      throw new Error(
        'SQLITE_CORRUPT at /var/lib/uxmate/uxmate.sqlite\n    at readSession (x.ts:1)',
      )
    }
    const broken = (store: SessionStore): SessionStore => ({
      ...store,
      getSession: corrupt,
      getSessionJson: corrupt,
      async checkReady() {
        throw new Error('unable to open /var/lib/uxmate/uxmate.sqlite')
      },
    })
    const { app } = await createTestApp({ wrapStore: broken })
    const failed = await app.request('/sessions/0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d')
    expect(failed.status).toBe(500)
    expect(await failed.json()).toEqual({ detail: 'Internal Server Error' })
    const ready = await app.request('/ready')
    expect(ready.status).toBe(503)
    const text = await ready.text()
    expect(text).not.toMatch(/\/var\/lib|sqlite/)
    expect(JSON.parse(text)).toEqual({
      status: 'not_ready',
      checks: { store: 'unavailable' },
    })
  })
})

describe('Node server settings', () => {
  it('keeps an event stream open longer than the request timeout: it limits requests, not answers', async () => {
    const scripted = createScriptedAgent()
    const config = { headersTimeoutMs: 200, requestTimeoutMs: 300, eventsKeepAliveMs: 100 }
    const { app } = await createTestApp({ config, agents: [scripted.agent] })
    const http = listen(app.fetch, { ...config, host: '127.0.0.1', port: 0, maxHeaderBytes: 16384 })
    await new Promise((resolve) => http.once('listening', resolve))
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    try {
      const started = scripted.started()
      const session = (await (
        await fetch(`${base}/sessions/text`, {
          method: 'POST',
          body: sessionForm({ agent_id: 'scripted', text_prompt: 'Slowly' }),
          headers: { Prefer: 'respond-async' },
        })
      ).json()) as Session
      await started
      const events = readSse(await fetch(`${base}/sessions/${session.id}/events`))
      expect((await events.nextEvent())?.data).toEqual({ status: 'Running' })
      // Well past both timeouts (Node checks them every 100 ms here), the stream is still open.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      scripted.send('Still here')
      expect((await events.nextEvent())?.data).toEqual({ text: 'Still here' })
      scripted.finish()
      expect((await events.rest()).at(-1)?.data).toEqual({ status: 'Ready' })
    } finally {
      http.close()
      if ('closeAllConnections' in http) http.closeAllConnections()
    }
  })
})
