/**
 * A SIGTERM lets the requests in flight finish before the store closes: one waiting for its run
 * gets the run's end, one still sending its body gets its session stored, and neither meets a
 * closed store (a 500).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startChildServer } from './child-server.ts'
import { sessionForm } from './test-app.ts'

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-shutdown-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** A POST /sessions/text whose body is sent in two halves, the second when `finish` is called. */
async function slowCreate(baseUrl: string, text: string) {
  const form = new Response(sessionForm({ agent_id: 'echo', text_prompt: text }))
  const type = form.headers.get('Content-Type') ?? ''
  const body = Buffer.from(await form.arrayBuffer())
  const half = Math.floor(body.length / 2)
  const sent = request(`${baseUrl}/sessions/text`, {
    method: 'POST',
    headers: { 'Content-Type': type, 'Content-Length': body.length },
  })
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    sent.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        text += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    sent.on('error', reject)
  })
  sent.write(body.subarray(0, half))
  // The server has the first half once the socket flushed it.
  await new Promise<void>((resolve) => sent.once('socket', (s) => s.once('connect', resolve)))
  return { answer, finish: () => sent.end(body.subarray(half)) }
}

describe('graceful shutdown', () => {
  it('answers the requests in flight, then exits 0', async () => {
    const server = await startChildServer({
      entry: 'fresh',
      env: { DATA_DIR: dataDir, ECHO_DELAY_MS: '100', SHUTDOWN_TIMEOUT_MS: '10000' },
    })
    const waiting = fetch(`${server.baseUrl}/sessions/text`, {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'one two three four' }),
    })
    const uploading = await slowCreate(server.baseUrl, 'sent slowly')
    // The waiting request's session exists (its run has started) once a read lists it.
    for (let listed = 0; listed < 1; ) {
      const page = await fetch(`${server.baseUrl}/sessions?agent_id=echo&limit=${listed + 1}`)
      listed = ((await page.json()) as { sessions: unknown[] }).sessions.length
    }
    const exited = server.stop('SIGTERM')
    // Its run ends first (the drain), then the upload's body arrives.
    const waited = await waiting
    expect(waited.status).toBe(200)
    expect(((await waited.json()) as Session).status).toBe('Ready')
    uploading.finish()
    const uploaded = await uploading.answer
    expect(uploaded.status, uploaded.body).toBe(200)
    expect(await exited).toBe(0)
  })
})
