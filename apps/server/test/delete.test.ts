/**
 * `DELETE /sessions/{session_id}`: the session, its messages and files, gone for good.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bootServer, sqlitePath } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
import { createJsonLogger } from '../src/logger.ts'
import { readSse } from './sse-reader.ts'
import { createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const remove = (app: App, id: string) => app.request(`/sessions/${id}`, { method: 'DELETE' })

describe('DELETE /sessions/{session_id}', () => {
  it('answers 204, then 404 for the session, its files and its events', async () => {
    const { app } = await createTestApp()
    const created = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }, [
          { name: 'a.txt', content: 'abc' },
        ]),
      })
    ).json()) as Session
    const response = await remove(app, created.id)
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
    const file = created.messages[0]?.files?.[0]?.url as string
    for (const path of [`/sessions/${created.id}`, file, `/sessions/${created.id}/events`])
      expect((await app.request(path)).status, path).toBe(404)
    expect((await remove(app, created.id)).status).toBe(404)
  })

  it('answers 404 for an unknown session and 422 for an id that is not a UUID', async () => {
    const { app } = await createTestApp()
    expect((await remove(app, '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d')).status).toBe(404)
    expect((await remove(app, 'nope')).status).toBe(404)
  })

  it('cancels a run in progress first: its event stream ends, nothing is written after', async () => {
    const scripted = createScriptedAgent()
    const { app, store } = await createTestApp({ agents: [scripted.agent] })
    const started = scripted.started()
    const session = (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'scripted', text_prompt: 'Write' }),
        headers: { Prefer: 'respond-async' },
      })
    ).json()) as Session
    await started
    scripted.send('Half a ')
    const events = readSse(await app.request(`/sessions/${session.id}/events`))
    expect((await events.nextEvent())?.data).toEqual({ status: 'Running' })
    expect((await events.nextEvent())?.data).toEqual({ text: 'Half a ' })

    expect((await remove(app, session.id)).status).toBe(204)
    const rest = await events.rest()
    expect(rest.at(-1)).toMatchObject({ event: 'status', data: { status: 'Flushed' } })
    expect(await store.getSession('anonymous', session.id)).toBeUndefined()
  })
})

describe('DELETE on a database file', () => {
  let dataDir: string
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'uxmate-delete-'))
  })
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('removes every row of the session and leaves none of its bytes in the file', async () => {
    const config: ServerConfig = { ...defaultConfig, dataDir, logLevel: 'silent', echoDelayMs: 0 }
    const server = await bootServer(config, createJsonLogger('silent'))
    const marker = `SECRET-${crypto.randomUUID()}`
    const created = (await (
      await server.app.request('/sessions/text', {
        method: 'POST',
        headers: { 'Idempotency-Key': 'delete-me' },
        body: sessionForm({ agent_id: 'echo', text_prompt: `${marker} in the prompt` }, [
          { name: 'notes.txt', content: `${marker} in a file`.repeat(2000) },
        ]),
      })
    ).json()) as Session
    const kept = (await (
      await server.app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Keep me' }),
      })
    ).json()) as Session

    expect((await remove(server.app, created.id)).status).toBe(204)
    // Read while the server is up: its write-ahead log, not only the database, must be clean.
    const path = sqlitePath(config)
    for (const file of [path, `${path}-wal`]) {
      const bytes = await readFile(file).catch(() => Buffer.alloc(0))
      expect(bytes.includes(marker), file).toBe(false)
    }
    await server.close()

    const db = new Database(path, { readonly: true })
    const count = (sql: string) => (db.prepare(sql).get(created.id) as { n: number }).n
    expect(count('SELECT COUNT(*) AS n FROM sessions WHERE id = ?')).toBe(0)
    expect(count('SELECT COUNT(*) AS n FROM messages WHERE session_id = ?')).toBe(0)
    expect(count('SELECT COUNT(*) AS n FROM files WHERE session_id = ?')).toBe(0)
    expect(count('SELECT COUNT(*) AS n FROM idempotency_keys WHERE session_id = ?')).toBe(0)
    expect(count('SELECT COUNT(*) AS n FROM sessions WHERE id != ?')).toBe(1)
    db.close()
    // The other session is whole.
    const again = await bootServer(config, createJsonLogger('silent'))
    expect(await (await again.app.request(`/sessions/${kept.id}`)).json()).toEqual(kept)
    await again.close()
  })
})
