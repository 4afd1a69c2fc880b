import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bootServer } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
import { createJsonLogger } from '../src/logger.ts'
import { readSse } from './sse-reader.ts'
import { sessionForm } from './test-app.ts'

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-restart-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

const boot = (config: Partial<ServerConfig> = {}) =>
  bootServer(
    {
      ...defaultConfig,
      dataDir,
      logLevel: 'silent',
      shutdownTimeoutMs: 0,
      echoDelayMs: 0,
      ...config,
    },
    createJsonLogger('silent'),
  )

const createSession = async (
  app: Awaited<ReturnType<typeof boot>>['app'],
  text: string,
  headers: Record<string, string> = {},
) =>
  (await (
    await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: text }, [
        { name: 'a.txt', content: text },
      ]),
      headers,
    })
  ).json()) as Session

describe('restarts', () => {
  it('starts the turns queued behind a run the stop cut off, once the server is up again', async () => {
    const first = await boot({ echoDelayMs: 60_000 })
    const session = await createSession(first.app, 'A slow one', { Prefer: 'respond-async' })
    const queued = await first.app.request(`/sessions/${session.id}?on_busy=enqueue`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'Then this' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(queued.status).toBe(202)
    await first.close()

    const second = await boot()
    try {
      let state: Session
      do {
        await new Promise((resolve) => setTimeout(resolve, 20))
        state = (await (await second.app.request(`/sessions/${session.id}`)).json()) as Session
      } while (state.status !== 'Ready')
      expect(state.messages.map((m) => m.text)).toEqual([
        'A slow one',
        'Then this',
        'You said: Then this',
      ])
      expect(state.queued_turns).toBeUndefined()
    } finally {
      await second.close()
    }
  })

  it('keeps every session, message and file across a restart on the same DATA_DIR', async () => {
    const first = await boot()
    const created = await Promise.all(
      ['one', 'two', 'three'].map((t) => createSession(first.app, t)),
    )
    await first.close()

    const second = await boot()
    for (const session of created) {
      const response = await second.app.request(`/sessions/${session.id}`)
      expect(await response.json()).toEqual(session)
      const url = session.messages[0]?.files?.[0]?.url as string
      expect(await (await second.app.request(url)).text()).toBe(session.messages[0]?.text)
    }
    await second.close()
  })

  it('flushes a run cut off by a crash when the server starts again', async () => {
    const first = await boot({ echoDelayMs: 60_000 })
    const session = await createSession(first.app, 'interrupted', { Prefer: 'respond-async' })
    expect(session.status).toBe('Running')
    // A crash: the store goes away with the run still going, and nothing records its end.
    await first.store.close()

    const second = await boot()
    const after = (await (await second.app.request(`/sessions/${session.id}`)).json()) as Session
    expect(after.status).toBe('Flushed')
    expect(after.error?.code).toBe('interrupted')
    const next = await second.app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'again' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(((await next.json()) as Session).status).toBe('Ready')
    await second.close()
    await first.close()
  })

  it('keeps event ids increasing after a crash in the middle of a run', async () => {
    const first = await boot({ echoDelayMs: 60_000 })
    const session = await createSession(first.app, 'cut short', { Prefer: 'respond-async' })
    const before = readSse(await first.app.request(`/sessions/${session.id}/events`))
    const running = await before.nextEvent()
    expect(running).toMatchObject({ event: 'status', data: { status: 'Running' } })
    await first.store.close()

    const second = await boot()
    const next = await second.app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'again' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(((await next.json()) as Session).status).toBe('Ready')
    // A client that saw the crashed run's first event resumes from it: the new run's events
    // all come after it, none is skipped.
    const resumed = await readSse(
      await second.app.request(`/sessions/${session.id}/events`, {
        headers: { 'Last-Event-ID': String(running?.id) },
      }),
    ).rest()
    expect(resumed[0]).toMatchObject({ event: 'status', data: { status: 'Running' } })
    expect(resumed.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    expect(resumed.every((event) => event.id > (running?.id ?? Number.POSITIVE_INFINITY))).toBe(
      true,
    )
    await before.cancel()
    await second.close()
    await first.close()
  })

  it('flushes runs still going when a graceful shutdown runs out of time', async () => {
    const server = await boot({ echoDelayMs: 60_000 })
    const session = await createSession(server.app, 'slow', { Prefer: 'respond-async' })
    await server.shutdown(0)
    const after = await server.store.getSession('anonymous', session.id)
    expect(after?.status).toBe('Flushed')
    expect(after?.error?.code).toBe('interrupted')
    await server.close()
  })

  it('serves the same app over a real socket', async () => {
    const server = await boot()
    const http = serve({ fetch: server.app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((resolve) => http.once('listening', resolve))
    const { port } = http.address() as { port: number }
    try {
      const base = `http://127.0.0.1:${port}`
      const created = (await (
        await fetch(`${base}/sessions/text`, {
          method: 'POST',
          body: sessionForm({ agent_id: 'echo', text_prompt: 'over the wire' }),
        })
      ).json()) as Session
      expect(created.status).toBe('Ready')
      const read = await fetch(`${base}/sessions/${created.id}`)
      expect(await read.json()).toEqual(created)
    } finally {
      await new Promise((resolve) => http.close(resolve))
      await server.close()
    }
  })
})
