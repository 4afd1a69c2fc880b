/**
 * Crash safety: the server process is SIGKILLed in the middle of a burst of concurrent creates
 * and updates over real sockets. Started again on the same DATA_DIR, it must have every write it
 * acknowledged, whole, and nothing half-written; the database must be intact, and the runs the
 * crash cut off `Flushed`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GetSessionsResponse, Session } from '@uxmate/contract'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ChildServer, startChildServer } from './child-server.ts'

type Acknowledged =
  | { kind: 'create'; id: string; text: string; files: Array<{ name: string; sha256: string }> }
  | { kind: 'update'; id: string; text: string }

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-crash-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** A create with two files: a small text one and a few kilobytes of random bytes. */
function createRequest(text: string, async: boolean) {
  const files = [
    { name: `${text}.txt`, data: new TextEncoder().encode(`Notes for ${text}`) },
    {
      name: `${text}.bin`,
      data: new Uint8Array(randomBytes(2048 + Math.floor(Math.random() * 16384))),
    },
  ]
  const form = new FormData()
  form.append('agent_id', 'echo')
  form.append('text_prompt', text)
  for (const file of files) form.append('files', new Blob([file.data]), file.name)
  const init: RequestInit = {
    method: 'POST',
    body: form,
    headers: async ? { Prefer: 'respond-async' } : {},
  }
  return {
    init,
    files: files.map((file) => ({ name: file.name, sha256: sha256(file.data) })),
  }
}

describe('a crash in the middle of a burst of writes', () => {
  it('keeps every acknowledged write whole, leaves nothing half-written, and flushes cut-off runs', async () => {
    const env = {
      DATA_DIR: dataDir,
      // Replies take a while (a pause per word), so that runs are in progress when it dies.
      ECHO_DELAY_MS: '15',
      RATE_LIMIT_PER_SECOND: '0',
    }
    let server: ChildServer = await startChildServer({ env })
    const base = server.baseUrl

    // Sessions that the burst continues.
    const seeds: string[] = []
    for (let i = 0; i < 4; i++) {
      const { init } = createRequest(`seed-${i}`, false)
      const response = await fetch(`${base}/sessions/text`, init)
      expect(response.status).toBe(200)
      seeds.push(((await response.json()) as Session).id)
    }

    const acknowledged: Acknowledged[] = []
    let stopping = false
    let cutOffRequests = 0
    const worker = async (w: number) => {
      for (let n = 0; !stopping; n++) {
        try {
          if (n % 2 === 0) {
            const text = `create-${w}-${n}`
            const { init, files } = createRequest(text, n % 4 === 0)
            const response = await fetch(`${base}/sessions/text`, init)
            // Acknowledged: the whole answer arrived.
            const body = (await response.json()) as Session
            if (response.status === 200 || response.status === 202)
              acknowledged.push({ kind: 'create', id: body.id, text, files })
          } else {
            const id = seeds[(w + n) % seeds.length] as string
            const text = `update-${w}-${n}`
            const response = await fetch(`${base}/sessions/${id}`, {
              method: 'PUT',
              body: JSON.stringify({ text_prompt: text }),
              headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
            })
            await response.arrayBuffer()
            // 409: the session's run is still going; nothing was written.
            if (response.status === 202) acknowledged.push({ kind: 'update', id, text })
          }
        } catch {
          // The server died during this request: it was never acknowledged.
          cutOffRequests++
          return
        }
      }
    }
    const workers = Array.from({ length: 6 }, (_, w) => worker(w))
    while (acknowledged.filter((a) => a.kind === 'update').length < 10 || acknowledged.length < 40)
      await new Promise((resolve) => setTimeout(resolve, 10))

    // A run certain to be going when the process dies: 300 words at 15 ms each.
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ')
    const cutOff = await fetch(`${base}/sessions/text`, {
      method: 'POST',
      body: (() => {
        const form = new FormData()
        form.append('agent_id', 'echo')
        form.append('text_prompt', long)
        return form
      })(),
      headers: { Prefer: 'respond-async' },
    })
    expect(cutOff.status).toBe(202)
    const cutOffId = ((await cutOff.json()) as Session).id

    expect(await server.stop('SIGKILL')).toBeNull()
    stopping = true
    await Promise.all(workers)
    // The kill landed in the middle of requests, not between them.
    expect(cutOffRequests).toBeGreaterThan(0)

    server = await startChildServer({ env })
    try {
      for (const write of acknowledged) {
        const response = await fetch(`${server.baseUrl}/sessions/${write.id}`)
        expect(response.status, `${write.kind} ${write.text}`).toBe(200)
        const session = (await response.json()) as Session
        const userTexts = session.messages.filter((m) => m.role === 'user').map((m) => m.text)
        expect(userTexts, write.text).toContain(write.text)
        if (write.kind === 'create') {
          const first = session.messages[0]
          expect(first?.text).toBe(write.text)
          expect(first?.files?.map(({ name, sha256 }) => ({ name, sha256 }))).toEqual(write.files)
        }
      }
      const cut = (await (await fetch(`${server.baseUrl}/sessions/${cutOffId}`)).json()) as Session
      expect(cut.status).toBe('Flushed')
      expect(cut.error?.code).toBe('interrupted')
      // No session is left Running by the crash.
      const all = (await (
        await fetch(`${server.baseUrl}/sessions?agent_id=echo&limit=200`)
      ).json()) as GetSessionsResponse
      expect(all.sessions.length).toBeGreaterThanOrEqual(acknowledged.length / 2)
      expect(all.sessions.filter((s) => s.status === 'Running')).toEqual([])
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0)
    }

    // The file itself: intact, and every session whole (its first message, with both files).
    const db = new Database(join(dataDir, 'uxmate.sqlite'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
      const sessions = db
        .prepare<[], { id: string; role: string | null; files: number }>(
          `SELECT s.id, m.role, (SELECT COUNT(*) FROM files f WHERE f.message_id = m.id) AS files
           FROM sessions s LEFT JOIN messages m ON m.session_id = s.id AND m.position = 0`,
        )
        .all()
      const cutOffRow = sessions.find((s) => s.id === cutOffId)
      expect(cutOffRow).toMatchObject({ role: 'user', files: 0 })
      const created = sessions.filter((s) => s.id !== cutOffId)
      expect(created.filter((s) => s.role !== 'user' || s.files !== 2)).toEqual([])
      // A file's bytes are its chunks in order (file_chunks, at most 1 MiB each).
      const chunks = db.prepare<[string], Buffer>(
        'SELECT data FROM file_chunks WHERE file_id = ? ORDER BY start',
      )
      for (const file of db
        .prepare<[], { id: string; sha256: string; size: number }>(
          'SELECT id, sha256, size FROM files',
        )
        .all()) {
        const data = Buffer.concat(chunks.pluck().all(file.id))
        expect(data.byteLength).toBe(file.size)
        expect(sha256(data)).toBe(file.sha256)
      }
    } finally {
      db.close()
    }
  })
})
