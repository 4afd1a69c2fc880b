/**
 * Exactly once across a crash, with a real server process: keyed creates and continues are
 * waiting for their runs (a slow echo) when the process is SIGKILLed, so every client loses its
 * answer; a keyed create is cut off halfway through its upload. Started again on the same data,
 * the same requests with the same keys (sent twice each) answer the work that was done without
 * doing it again, and do once the work that was not: one session per create, one copy of each
 * prompt. On SQLite and on PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GetSessionsResponse, Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildServer, startChildServer } from './child-server.ts'
import { exchange, head } from './raw-http.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

/** Keyed synchronous creates and continues the crash cuts off while they wait for their runs. */
const CREATES = 3
const CONTINUES = 3

const createForm = (text: string) => {
  const form = new FormData()
  form.append('agent_id', 'echo')
  form.append('text_prompt', text)
  form.append('files', new Blob([`notes for ${text}`]), `${text}.txt`)
  return form
}

const createRequest = (base: string, key: string, text: string) =>
  fetch(`${base}/sessions/text`, {
    method: 'POST',
    body: createForm(text),
    headers: { 'Idempotency-Key': key },
  })

const continueRequest = (base: string, key: string, id: string, text: string) =>
  fetch(`${base}/sessions/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ text_prompt: text }),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
  })

/**
 * A keyed create whose body stops halfway (the rest never comes), over a bare socket: the
 * server has stored nothing of it when it dies. Resolves once half the body is written, with
 * the outcome of the exchange to come (it ends when the server goes).
 */
async function halfSentCreate(port: number, key: string, text: string) {
  const encoded = new Response(createForm(text))
  const bytes = new Uint8Array(await encoded.arrayBuffer())
  let written!: () => void
  const halfway = new Promise<void>((resolve) => {
    written = resolve
  })
  const outcome = exchange(
    port,
    (socket) => {
      socket.write(
        head('POST /sessions/text HTTP/1.1', {
          'Content-Type': encoded.headers.get('Content-Type') ?? '',
          'Content-Length': String(bytes.byteLength),
          'Idempotency-Key': key,
        }),
      )
      socket.write(bytes.subarray(0, bytes.byteLength >> 1))
      written()
    },
    600_000,
  )
  await halfway
  // Wrapped: an async function returning the promise itself would wait for it.
  return { outcome }
}

async function listSessions(base: string): Promise<Session[]> {
  const response = await fetch(`${base}/sessions?agent_id=echo&limit=200`)
  expect(response.status).toBe(200)
  return ((await response.json()) as GetSessionsResponse).sessions
}

const userTexts = (session: Session) =>
  session.messages.filter((m) => m.role === 'user').map((m) => m.text)

interface Store {
  name: string
  env(): Promise<Record<string, string>>
  /** After the crash: the status of a session whose run the crash cut off. */
  cutOffStatus: Session['status']
}

let dataDir: string
let postgres: TestPostgres | undefined

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-once-'))
}, 60_000)

afterAll(async () => {
  await postgres?.stop()
  await rm(dataDir, { recursive: true, force: true })
}, 60_000)

const stores: Store[] = [
  {
    name: 'SQLite',
    env: async () => ({ DATA_DIR: dataDir }),
    // Flushed at start: one process owns the file.
    cutOffStatus: 'Flushed',
  },
  {
    name: 'PostgreSQL',
    env: async () => {
      postgres ??= await startTestPostgres()
      return { DATABASE_URL: await postgres.newDatabase() }
    },
    // Its lease (a minute here) has not run out yet: still the dead instance's run.
    cutOffStatus: 'Running',
  },
]

describe.each(stores)('exactly once across a crash ($name)', (store) => {
  it('answers what a killed process did without doing it again, and does what it had not', async () => {
    const env = {
      ...(await store.env()),
      // Two seconds a word: every run is still going when the process dies.
      ECHO_DELAY_MS: '2000',
      RUN_WAIT_MS: '120000',
      RUN_LEASE_MS: '60000',
      RATE_LIMIT_PER_SECOND: '0',
    }
    let server: ChildServer = await startChildServer({ env })
    const base = server.baseUrl

    // Sessions to continue, their first run stopped.
    const seeds: string[] = []
    for (let i = 0; i < CONTINUES; i++) {
      const created = await fetch(`${base}/sessions/text`, {
        method: 'POST',
        body: createForm(`seed ${i}`),
        headers: { Prefer: 'respond-async' },
      })
      const id = ((await created.json()) as Session).id
      expect((await fetch(`${base}/sessions/${id}/cancel`, { method: 'POST' })).status).toBe(200)
      seeds.push(id)
    }

    const creates = Array.from({ length: CREATES }, (_, i) => ({
      key: `create-key-${i}`,
      text: `create ${i}`,
    }))
    const continues = seeds.map((id, i) => ({ key: `continue-key-${i}`, id, text: `more ${i}` }))
    const cutOff = [
      ...creates.map(({ key, text }) => createRequest(base, key, text)),
      ...continues.map(({ key, id, text }) => continueRequest(base, key, id, text)),
    ]
    for (const request of cutOff) request.catch(() => {})
    const halfSent = await halfSentCreate(server.port, 'half-sent-key', 'half sent')

    // Every keyed turn is stored and waiting for its run: then the process dies.
    for (;;) {
      const sessions = await listSessions(base)
      const created = creates.filter(({ text }) =>
        sessions.some((s) => s.messages[0]?.text === text),
      )
      const continued = continues.filter(({ id, text }) =>
        sessions.some((s) => s.id === id && userTexts(s).includes(text)),
      )
      if (created.length === CREATES && continued.length === CONTINUES) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await server.stop('SIGKILL')).toBeNull()
    // No client got an answer.
    for (const request of cutOff) await expect(request).rejects.toThrow()
    expect(await halfSent.outcome).toMatchObject({ status: undefined, closedByServer: true })

    server = await startChildServer({ env })
    try {
      const again = server.baseUrl
      for (let attempt = 0; attempt < 2; attempt++) {
        for (const { key, text } of creates) {
          const retried = await createRequest(again, key, text)
          expect(retried.status, text).toBe(200)
          expect(retried.headers.get('Idempotent-Replayed'), text).toBe('true')
          const session = (await retried.json()) as Session
          expect(session.messages[0]?.text).toBe(text)
          expect(session.status).toBe(store.cutOffStatus)
        }
        for (const { key, id, text } of continues) {
          const retried = await continueRequest(again, key, id, text)
          expect(retried.status, text).toBe(200)
          expect(retried.headers.get('Idempotent-Replayed'), text).toBe('true')
          expect(((await retried.json()) as Session).id).toBe(id)
        }
      }
      // Never stored: the retry does it (answering once its run ends), then replays it.
      const done = await createRequest(again, 'half-sent-key', 'half sent')
      expect(done.status).toBe(200)
      expect(done.headers.get('Idempotent-Replayed')).toBeNull()
      const replayed = await createRequest(again, 'half-sent-key', 'half sent')
      expect(replayed.headers.get('Idempotent-Replayed')).toBe('true')
      expect(await replayed.json()).toEqual(await done.json())

      const sessions = await listSessions(again)
      for (const { text } of [...creates, { text: 'half sent' }])
        expect(
          sessions.filter((s) => s.messages[0]?.text === text),
          text,
        ).toHaveLength(1)
      for (const { id, text } of continues) {
        const session = sessions.find((s) => s.id === id) as Session
        expect(
          userTexts(session).filter((t) => t === text),
          text,
        ).toHaveLength(1)
      }
      expect(sessions).toHaveLength(CONTINUES + CREATES + 1)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 240_000)
})
