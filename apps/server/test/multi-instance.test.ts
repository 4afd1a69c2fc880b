/**
 * Several server processes on one PostgreSQL database (a throwaway embedded server): what one
 * instance does, the others see; a turn (a PUT, a regenerate, an edit) starts once, whichever
 * instances are asked; events and cancels reach every instance; the runs of an instance that
 * dies are flushed by the others.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newApiKey } from '../src/http/security/api-keys.ts'
import { type ChildServer, serverDir, startChildServer } from './child-server.ts'
import { readSse } from './sse-reader.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'
import { sessionForm } from './test-app.ts'

/**
 * Runs of an instance that stops renewing its lease are flushed at most 1.75 times this long
 * after. Long enough that a living instance on a loaded machine renews in time (every third).
 */
const LEASE_MS = 2_500

/** A server process, named for the messages of a failing test. */
interface Server extends ChildServer {
  name: string
}

/** Starts an instance on the build when it is fresh (quick to start), else on the source. */
const startServer = async (name: string, env: Record<string, string>): Promise<Server> => ({
  ...(await startChildServer({ env, entry: 'fresh' })),
  name,
})

let postgres: TestPostgres
let a: Server
let b: Server
/** Its runs last long: to cancel them from elsewhere, and to kill it in the middle of one. */
let slow: Server
const servers: Server[] = []
let keysDir: string
/** Every request is one owner's, with its API key: the same on every instance. */
const { key, entry } = newApiKey('team-a')
const auth = { Authorization: `Bearer ${key}` }

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'uxmate-keys-'))
  const keysFile = join(keysDir, 'keys.json')
  await writeFile(keysFile, JSON.stringify([entry]))
  postgres = await startTestPostgres()
  const url = await postgres.newDatabase()
  const env = {
    DATABASE_URL: url,
    API_KEYS_FILE: keysFile,
    RUN_LEASE_MS: String(LEASE_MS),
    EVENTS_KEEPALIVE_MS: '500',
  }
  // Started together: they migrate the same empty database at once, one after the other.
  const started = await Promise.all([
    startServer('A', { ...env, ECHO_DELAY_MS: '50' }),
    startServer('B', { ...env, ECHO_DELAY_MS: '50' }),
    startServer('slow', { ...env, ECHO_DELAY_MS: '60000' }),
  ])
  ;[a, b, slow] = started
  servers.push(...started)
}, 120_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')))
  await postgres?.stop()
  await rm(keysDir, { recursive: true, force: true })
}, 60_000)

const json = { 'Content-Type': 'application/json', ...auth }
const follow = (server: Server, id: string) =>
  fetch(`${server.baseUrl}/sessions/${id}/events`, { headers: auth })

async function create(server: Server, text: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.baseUrl}/sessions/text`, {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }, [
      { name: 'notes.txt', content: `file of ${text}` },
    ]),
    headers: { ...auth, ...headers },
  })
  expect(response.status, await diagnostics()).toBeLessThan(300)
  return (await response.json()) as Session
}

const read = async (server: Server, id: string) =>
  (await (await fetch(`${server.baseUrl}/sessions/${id}`, { headers: auth })).json()) as Session

const put = (server: Server, id: string, text: string, headers = {}) =>
  fetch(`${server.baseUrl}/sessions/${id}`, {
    method: 'PUT',
    headers: { ...json, ...headers },
    body: JSON.stringify({ text_prompt: text }),
  })

/** Polls `check` until it returns something, for at most `timeoutMs`. */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`not so after ${timeoutMs} ms\n${await diagnostics()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function diagnostics(): Promise<string> {
  return servers.map((server) => `--- ${server.name}\n${server.output().slice(-3_000)}`).join('\n')
}

describe('several instances on one PostgreSQL', { timeout: 30_000 }, () => {
  it('migrates a database from the command line (pnpm migrate)', async () => {
    const url = await postgres.newDatabase()
    const run = (databaseUrl: string) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/migrate.ts'],
          { cwd: serverDir, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
        )
      })
    const first = await run(url)
    expect(first, first.output).toMatchObject({ code: 0 })
    expect(first.output).toContain('migrations applied')
    expect(first.output).not.toContain(':postgres@')
    const unreachable = await run('postgres://nobody:secret@127.0.0.1:1/none')
    expect(unreachable.code).toBe(1)
    expect(unreachable.output).toContain('nobody:***@')
    expect(unreachable.output).not.toContain('secret')
    // Two processes that each compile the migrator with tsx: over 30 s at a load average of ~30.
  }, 120_000)

  it('reports every instance ready on the migrated database', async () => {
    for (const server of [a, b, slow]) {
      const ready = await fetch(`${server.baseUrl}/ready`)
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { store: 'ok', migrations: 'ok' },
      })
    }
  })

  it('reads and continues on B a session made on A, files included', async () => {
    const created = await create(a, 'made on A')
    expect(created.status).toBe('Ready')
    expect(await read(b, created.id)).toEqual(created)
    const url = created.messages[0]?.files?.[0]?.url as string
    expect(await (await fetch(`${b.baseUrl}${url}`, { headers: auth })).text()).toBe(
      'file of made on A',
    )
    // Without the key: refused, on any instance.
    expect((await fetch(`${b.baseUrl}/sessions/${created.id}`)).status).toBe(401)

    const continued = await put(b, created.id, 'continued on B')
    expect(continued.status).toBe(200)
    const session = (await continued.json()) as Session
    expect(session.status).toBe('Ready')
    expect(session.messages.map((message) => message.text)).toEqual([
      'made on A',
      'You said: made on A (files: notes.txt)',
      'continued on B',
      'You said: continued on B',
    ])
    expect(await read(a, created.id)).toEqual(session)
  })

  it('answers two concurrent PUTs on two instances with one 200 and one 409, losing nothing', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await create(a, `race ${round}`)
      const [onA, onB] = await Promise.all([
        put(a, created.id, `from A ${round}`),
        put(b, created.id, `from B ${round}`),
      ])
      expect([onA.status, onB.status].sort()).toEqual([200, 409])
      const winner = onA.status === 200 ? `from A ${round}` : `from B ${round}`
      const session = await read(a, created.id)
      expect(session.status).toBe('Ready')
      expect(session.messages.map((message) => message.text)).toEqual([
        `race ${round}`,
        `You said: race ${round} (files: notes.txt)`,
        winner,
        `You said: ${winner}`,
      ])
    }
  })

  /** The session's tree: every message on every branch, oldest first. */
  const treeOf = async (server: Server, id: string) =>
    (
      (await (
        await fetch(`${server.baseUrl}/sessions/${id}/tree?limit=100`, { headers: auth })
      ).json()) as { messages: Array<{ role: string; text: string; parent_id: string | null }> }
    ).messages

  it('answers two regenerates racing on two instances with one 200 and one 409: one run', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await create(a, `regenerate race ${round}`)
      const reply = created.messages[1]?.id
      const regenerate = (server: Server) =>
        fetch(`${server.baseUrl}/sessions/${created.id}/messages/${reply}/regenerate`, {
          method: 'POST',
          headers: auth,
        })
      const [onA, onB] = await Promise.all([regenerate(a), regenerate(b)])
      expect([onA.status, onB.status].sort(), await diagnostics()).toEqual([200, 409])
      const won = (await (onA.status === 200 ? onA : onB).json()) as Session
      expect(won.status).toBe('Ready')
      const lost = (await (onA.status === 200 ? onB : onA).json()) as { detail: string }
      expect(lost.detail).toMatch(/run is in progress/)
      // One new reply, not two: the question and its two replies.
      const tree = await treeOf(b, created.id)
      expect(tree.map((message) => message.role)).toEqual(['user', 'assistant', 'assistant'])
      expect(await read(a, created.id)).toEqual(won)
    }
  })

  it('answers an edit and a PUT racing on two instances with one 200 and one 409: one run', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await create(a, `edit race ${round}`)
      const question = created.messages[0]?.id
      const form = new FormData()
      form.append('text_prompt', `edited ${round}`)
      const [edit, continued] = await Promise.all([
        fetch(`${a.baseUrl}/sessions/${created.id}/messages/${question}/edit`, {
          method: 'POST',
          headers: auth,
          body: form,
        }),
        put(b, created.id, `continued ${round}`),
      ])
      expect([edit.status, continued.status].sort(), await diagnostics()).toEqual([200, 409])
      const winner = edit.status === 200 ? `edited ${round}` : `continued ${round}`
      const loser = edit.status === 200 ? `continued ${round}` : `edited ${round}`
      const session = await read(b, created.id)
      expect(session.status).toBe('Ready')
      expect(session.messages.map((message) => message.text).slice(-2)).toEqual([
        winner,
        `You said: ${winner}`,
      ])
      // Two messages more, of the winner's run; nothing of the loser's.
      const texts = (await treeOf(a, created.id)).map((message) => message.text)
      expect(texts).toHaveLength(4)
      expect(texts).not.toContain(loser)
    }
  })

  it('replays, on B, the answer A gave to a request with the same Idempotency-Key', async () => {
    const created = await create(a, 'idempotent')
    const retry = { 'Idempotency-Key': `key-${created.id}` }
    const first = await put(a, created.id, 'only once', retry)
    expect(first.status).toBe(200)
    const again = await put(b, created.id, 'only once', retry)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual(await first.json())
    expect((await read(b, created.id)).messages).toHaveLength(4)
  })

  it('streams a run on A to an event stream on B, every delta once and in order', async () => {
    // About 40 words, 50 ms apart: B follows the run while it goes on.
    const prompt = Array.from({ length: 36 }, (_, i) => `word${i}`).join(' ')
    const created = await create(a, prompt, { Prefer: 'respond-async' })
    expect(created.status).toBe('Running')
    const stream = readSse(await follow(b, created.id))
    const events = await Promise.race([
      stream.rest(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the stream did not end')), 20_000),
      ),
    ])
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'Running' } })
    expect(events.length).toBeGreaterThan(40)
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    const deltas = events.filter((event) => event.event === 'message.delta')
    const reply = `You said: ${prompt} (files: notes.txt)`
    expect(deltas.map((event) => (event.data as { text: string }).text).join('')).toBe(reply)
    expect(events.find((event) => event.event === 'message.completed')).toMatchObject({
      data: { message: { role: 'assistant', text: reply } },
    })
    const ids = events.map((event) => event.id)
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    expect(new Set(ids).size).toBe(ids.length)
    expect((await read(b, created.id)).status).toBe('Ready')
  })

  it('tells a follower on B of a regenerate and a branch switch on A', async () => {
    const created = await create(a, 'branch me')
    const [question, reply] = created.messages
    const base = `${a.baseUrl}/sessions/${created.id}/messages`
    const since = (id: number) =>
      fetch(`${b.baseUrl}/sessions/${created.id}/events`, {
        headers: { ...auth, 'Last-Event-ID': String(id) },
      })
    const idle = (await readSse(await follow(b, created.id)).nextEvent())?.id ?? 0
    const regenerated = await fetch(`${base}/${reply?.id}/regenerate`, {
      method: 'POST',
      headers: { ...auth, Prefer: 'respond-async' },
    })
    expect(regenerated.status).toBe(202)
    // From the last id seen: the whole run, whether it is still going or over by now.
    const run = await readSse(await since(idle)).rest()
    expect(run.slice(0, 2).map(({ event, data }) => ({ event, data }))).toMatchObject([
      { event: 'branch', data: { leaf_id: question?.id } },
      { event: 'status', data: { status: 'Running' } },
    ])
    expect(run.at(-1)).toMatchObject({ event: 'status', data: { status: 'Ready' } })
    const last = run.at(-1)?.id ?? 0

    const switched = await fetch(`${base}/${reply?.id}/switch`, { method: 'POST', headers: auth })
    expect(switched.status).toBe(200)
    // A follower coming back on B with its last id: the switch, then the status.
    const told = await eventually(async () => {
      const events = await readSse(await since(last)).rest()
      return events.length === 2 ? events : undefined
    }, 5_000)
    expect(told.map(({ event, id, data }) => ({ event, id, data }))).toEqual([
      { event: 'branch', id: last + 1, data: { leaf_id: reply?.id } },
      { event: 'status', id: last + 2, data: { status: 'Ready' } },
    ])
  })

  it('cancels, from B, a run that goes on on another instance', async () => {
    const created = await create(slow, 'never finishes on its own', { Prefer: 'respond-async' })
    expect(created.status).toBe('Running')
    const follower = readSse(await follow(a, created.id))
    expect(await follower.nextEvent()).toMatchObject({ data: { status: 'Running' } })

    const cancelled = await fetch(`${b.baseUrl}/sessions/${created.id}/cancel`, {
      method: 'POST',
      headers: auth,
    })
    expect(cancelled.status).toBe(200)
    const session = (await cancelled.json()) as Session
    expect(session.status).toBe('Flushed')
    expect(session.error?.code).toBe('cancelled')
    const rest = await follower.rest()
    expect(rest.at(-1)).toMatchObject({ event: 'status', data: { status: 'Flushed' } })
  })

  it('keeps a paused instance, once it wakes, out of the newer run of a session it lost', async () => {
    const created = await create(slow, 'lost by a paused instance', { Prefer: 'respond-async' })
    expect(created.status).toBe('Running')
    // Stopped (as by a long GC pause, or cut off from the database) past its lease: A or B
    // flushes its run, and the session goes on with a new run on A.
    slow.process.kill('SIGSTOP')
    try {
      const flushed = await eventually(async () => {
        const session = await read(a, created.id)
        return session.status === 'Running' ? undefined : session
      }, LEASE_MS * 10)
      expect(flushed.error?.code).toBe('interrupted')
      const prompt = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ')
      const turn = await put(a, created.id, prompt, { Prefer: 'respond-async' })
      expect(turn.status).toBe(202)
      const stream = readSse(await follow(b, created.id))
      const running = await stream.nextEvent()
      expect(running).toMatchObject({ event: 'status', data: { status: 'Running' } })
      // It wakes during the new run, finds its run flushed, and stops it: nothing of that
      // run, not even its end, reaches the new run's stream or its stored reply.
      slow.process.kill('SIGCONT')
      await eventually(
        async () => (slow.output().includes('flushed by another instance') ? true : undefined),
        20_000,
      )
      const rest = await stream.rest()
      expect(rest.at(-1), await diagnostics()).toMatchObject({
        event: 'status',
        data: { status: 'Ready' },
      })
      const reply = `You said: ${prompt}`
      const deltas = rest.filter((event) => event.event === 'message.delta')
      expect(deltas.map((event) => (event.data as { text: string }).text).join('')).toBe(reply)
      expect(rest.every((event) => event.id > (running?.id ?? Number.POSITIVE_INFINITY))).toBe(true)
      const session = await read(b, created.id)
      expect(session.status).toBe('Ready')
      expect(session.messages.map((message) => message.text)).toEqual([
        'lost by a paused instance',
        prompt,
        reply,
      ])
    } finally {
      slow.process.kill('SIGCONT')
    }
  })

  it('flushes the run of an instance killed mid-run once its lease expires', async () => {
    const created = await create(slow, 'cut short by a crash', { Prefer: 'respond-async' })
    expect(created.status).toBe('Running')
    const follower = readSse(await follow(b, created.id))
    const running = await follower.nextEvent()
    expect(running).toMatchObject({ data: { status: 'Running' } })

    await slow.stop('SIGKILL')
    const flushed = await eventually(async () => {
      const session = await read(a, created.id)
      return session.status === 'Running' ? undefined : session
    }, LEASE_MS * 10)
    expect(flushed.status).toBe('Flushed')
    expect(flushed.error?.code).toBe('interrupted')
    // The stream on B hears of the end from whichever instance flushed the run.
    const rest = await follower.rest()
    expect(rest.map((event) => event.event)).toEqual(['error', 'status'])
    expect(rest.at(-1)).toMatchObject({ data: { status: 'Flushed' } })
    expect(rest.every((event) => event.id > (running?.id ?? Number.POSITIVE_INFINITY))).toBe(true)

    // And the session goes on, on a living instance.
    const next = await put(a, created.id, 'after the crash')
    expect(next.status).toBe(200)
    expect(((await next.json()) as Session).status).toBe('Ready')
  })
})
