/**
 * Open mode closed to other origins: the `Host` allow-list (against DNS rebinding) and the
 * refusal of cross-site requests that change state (against plain HTML forms), in-process and
 * over a real socket with the web app served at `/`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isAllowedHost } from '../src/http/security/origin-policy.ts'
import { exchange } from './raw-http.ts'
import { createTestApp, serveTestApp, sessionForm } from './test-app.ts'

const form = () => ({ method: 'POST', body: sessionForm({ agent_id: 'echo', text_prompt: 'hi' }) })

describe('isAllowedHost', () => {
  it('takes loopback names with any port, and the listed hosts', () => {
    for (const host of ['127.0.0.1:8000', 'localhost', 'LOCALHOST:3000', '[::1]:8000', '127.0.0.2'])
      expect(isAllowedHost(host, []), host).toBe(true)
    for (const host of ['attacker.example:8000', '0.0.0.0:8000', '10.0.0.5', 'localhost.evil', ''])
      expect(isAllowedHost(host, []), host).toBe(false)
    const listed = ['sessions.example.com', 'api.example.com:8443']
    expect(isAllowedHost('Sessions.Example.com:443', listed)).toBe(true)
    expect(isAllowedHost('api.example.com:8443', listed)).toBe(true)
    expect(isAllowedHost('api.example.com:8444', listed)).toBe(false)
    expect(isAllowedHost('evil.sessions.example.com', listed)).toBe(false)
    expect(isAllowedHost('anything.example', ['*'])).toBe(true)
  })
})

describe('the Host allow-list', () => {
  it('refuses in open mode a Host that is not loopback, with 421, before doing anything', async () => {
    const { app, store } = await createTestApp()
    const refused = await app.request('/sessions/text', {
      ...form(),
      headers: { Host: 'attacker.example:8000' },
    })
    expect(refused.status).toBe(421)
    expect(await refused.json()).toEqual({
      detail: "Host 'attacker.example:8000' is not served here; list it in ALLOWED_HOSTS",
    })
    expect(
      (await store.listSessions({ owner: 'anonymous', agentId: 'echo', limit: 5 })).sessions,
    ).toEqual([])
    // Reads, the docs and the web app too: a rebound page could read them.
    for (const path of ['/sessions?agent_id=echo', '/agents', '/docs', '/openapi.json'])
      expect((await app.request(path, { headers: { Host: 'attacker.example' } })).status).toBe(421)
    expect((await app.request('/agents', { headers: { Host: '127.0.0.1:8000' } })).status).toBe(200)
  })

  it('gives each Host the same verdict however many others came before it', async () => {
    const { app } = await createTestApp()
    const status = async (host: string) =>
      (await app.request('/agents', { headers: { Host: host } })).status
    // More values than the verdicts kept: the policy starts over, and answers the same.
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 100; i++) {
        expect(await status(`h${i}.attacker.example`)).toBe(421)
        expect(await status(`127.0.0.1:${8000 + i}`)).toBe(200)
      }
  })

  it('answers the probes whatever the Host, for orchestrators that call the instance by address', async () => {
    const { app } = await createTestApp()
    for (const path of ['/health', '/ready'])
      expect((await app.request(path, { headers: { Host: '10.1.2.3:8000' } })).status).toBe(200)
  })

  it('answers the hosts of ALLOWED_HOSTS in open mode', async () => {
    const { app } = await createTestApp({ config: { allowedHosts: ['sessions.internal'] } })
    const answer = await app.request('/agents', { headers: { Host: 'sessions.internal:8000' } })
    expect(answer.status).toBe(200)
  })

  it('answers any Host with API keys, and only the listed ones once ALLOWED_HOSTS is set', async () => {
    const headers = (host: string) => ({ Host: host, Authorization: 'Bearer uxm_a' })
    const keyed = await createTestApp({ apiKeys: { uxm_a: 'a' } })
    expect((await keyed.app.request('/agents', { headers: headers('any.example') })).status).toBe(
      200,
    )
    const listed = await createTestApp({
      apiKeys: { uxm_a: 'a' },
      config: { allowedHosts: ['sessions.example.com'] },
    })
    const refused = await listed.app.request('/agents', { headers: headers('any.example') })
    expect(refused.status).toBe(421)
    const served = await listed.app.request('/agents', {
      headers: headers('sessions.example.com'),
    })
    expect(served.status).toBe(200)
  })
})

describe('cross-site requests in open mode', () => {
  const host = { Host: '127.0.0.1:8000' }

  it('refuses a state-changing request from another origin or marked cross-site, with 403', async () => {
    const { app, store } = await createTestApp()
    for (const headers of [
      { ...host, Origin: 'https://attacker.example' },
      { ...host, Origin: 'null' },
      { ...host, Origin: 'http://localhost:3000' },
      { ...host, 'Sec-Fetch-Site': 'cross-site' },
    ]) {
      const refused = await app.request('/sessions/text', { ...form(), headers })
      expect(refused.status, JSON.stringify(headers)).toBe(403)
      expect(((await refused.json()) as { detail: string }).detail).toMatch(
        /refused while the server runs without API keys/,
      )
    }
    expect(
      (await store.listSessions({ owner: 'anonymous', agentId: 'echo', limit: 5 })).sessions,
    ).toEqual([])
  })

  it('serves same-origin requests, requests without those headers, and reads from anywhere', async () => {
    const { app } = await createTestApp()
    const cases: Record<string, string>[] = [
      { ...host, Origin: 'http://127.0.0.1:8000', 'Sec-Fetch-Site': 'same-origin' },
      { Host: '127.0.0.1', Origin: 'http://127.0.0.1:80' },
      host,
      {},
    ]
    for (const headers of cases) {
      const served = await app.request('/sessions/text', { ...form(), headers })
      expect(served.status, JSON.stringify(headers)).toBe(200)
    }
    const read = await app.request('/agents', {
      headers: { ...host, Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site' },
    })
    expect(read.status).toBe(200)
  })

  it('serves the origins listed one by one in CORS_ORIGINS, but not all of them for *', async () => {
    const listed = await createTestApp({ config: { corsOrigins: ['http://localhost:5173'] } })
    const served = await listed.app.request('/sessions/text', {
      ...form(),
      headers: { ...host, Origin: 'http://localhost:5173', 'Sec-Fetch-Site': 'same-site' },
    })
    expect(served.status).toBe(200)
    const any = await createTestApp({ config: { corsOrigins: ['*'] } })
    const refused = await any.app.request('/sessions/text', {
      ...form(),
      headers: { ...host, Origin: 'https://attacker.example' },
    })
    expect(refused.status).toBe(403)
  })

  it('leaves requests with API keys to the keys', async () => {
    const { app } = await createTestApp({ apiKeys: { uxm_a: 'a' } })
    const answer = await app.request('/sessions/text', {
      ...form(),
      headers: {
        Authorization: 'Bearer uxm_a',
        Origin: 'https://app.example.com',
        'Sec-Fetch-Site': 'cross-site',
      },
    })
    expect(answer.status).toBe(200)
  })
})

describe('over a socket, with the web app at /', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  it('serves the page and its same-origin POST, and refuses a rebound Host and a foreign form', async () => {
    const webAppDir = await mkdtemp(join(tmpdir(), 'uxmate-web-'))
    await writeFile(join(webAppDir, 'index.html'), '<!doctype html><title>UXMate</title>')
    const served = await serveTestApp({ config: { webAppDir } })
    close = async () => {
      await served.close()
      await rm(webAppDir, { recursive: true, force: true })
    }
    const { base, port } = served
    expect((await fetch(`${base}/`)).status).toBe(200)
    const own = await fetch(`${base}/sessions/text`, {
      ...form(),
      headers: { Origin: base, 'Sec-Fetch-Site': 'same-origin' },
    })
    expect(own.status).toBe(200)

    const rebound = await exchange(port, (socket) => {
      socket.end('GET /agents HTTP/1.1\r\nHost: attacker.example:8000\r\nConnection: close\r\n\r\n')
    })
    expect(rebound.status).toBe(421)
    const body = 'agent_id=echo&text_prompt=spend'
    const posted = await exchange(port, (socket) => {
      socket.end(
        `POST /sessions/text HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: https://attacker.example\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      )
    })
    expect(posted.status).toBe(403)
  })
})
