/**
 * Reads answered from the read cache never show an earlier state than the store holds: each
 * kind of write, the end of a run and the turn of the calendar change what a read answers.
 */
import type { GetSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it, vi } from 'vitest'
import { createJsonLogger } from '../src/logger.ts'
import { ServerMetrics } from '../src/observability/metrics.ts'
import { createControlledAgent, createManualClock, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const json = async <T>(app: App, path: string, init?: RequestInit) =>
  (await (await app.request(path, init)).json()) as T

const create = (app: App, agent: string, text: string, headers: Record<string, string> = {}) =>
  json<Session>(app, '/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agent, text_prompt: text }),
    headers,
  })

const bucketsOf = async (app: App, query = '') =>
  Object.keys(
    (await json<{ time_to_sessions: Record<string, unknown> }>(app, `/sessions/grouped${query}`))
      .time_to_sessions,
  )

describe('reads after writes', () => {
  it("show a run's end, reply included, after reads during the run", async () => {
    const slow = createControlledAgent()
    const { app } = await createTestApp({ agents: [slow.agent] })
    const session = await create(app, 'slow', 'Hi', { Prefer: 'respond-async' })
    const list = `/sessions?agent_id=slow`
    expect((await json<Session>(app, `/sessions/${session.id}`)).status).toBe('Running')
    expect((await json<GetSessionsResponse>(app, list)).sessions[0]?.status).toBe('Running')

    slow.answer('Hello there')
    // The event stream ends with the run.
    await (await app.request(`/sessions/${session.id}/events`)).text()
    const done = await json<Session>(app, `/sessions/${session.id}`)
    expect(done.status).toBe('Ready')
    expect(done.messages.map((m) => m.text)).toEqual(['Hi', 'Hello there'])
    expect((await json<GetSessionsResponse>(app, list)).sessions[0]).toEqual(done)
  })

  it('show a rename, a new turn and a delete in every read', async () => {
    const { app } = await createTestApp()
    const session = await create(app, 'echo', 'First')
    const path = `/sessions/${session.id}`
    await app.request(path)
    await app.request('/sessions?agent_id=echo')
    await app.request('/sessions/grouped')

    await app.request(path, {
      method: 'PATCH',
      body: JSON.stringify({ name: 'Renamed' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect((await json<Session>(app, path)).name).toBe('Renamed')
    expect(
      (await json<GetSessionsResponse>(app, '/sessions?agent_id=echo')).sessions[0]?.name,
    ).toBe('Renamed')

    await app.request(path, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'Second' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect((await json<Session>(app, path)).messages).toHaveLength(4)

    expect((await app.request(path, { method: 'DELETE' })).status).toBe(204)
    expect((await app.request(path)).status).toBe(404)
    expect((await json<GetSessionsResponse>(app, '/sessions?agent_id=echo')).sessions).toEqual([])
    expect(await bucketsOf(app)).toEqual([])
  })

  it("never give one owner's answer to another", async () => {
    const { app } = await createTestApp({ apiKeys: { 'uxm_key-a': 'alice', 'uxm_key-b': 'bob' } })
    const alice = { Authorization: 'Bearer uxm_key-a' }
    const bob = { Authorization: 'Bearer uxm_key-b' }
    const session = await create(app, 'echo', 'Mine', alice)
    expect((await app.request(`/sessions/${session.id}`, { headers: alice })).status).toBe(200)
    expect((await app.request(`/sessions/${session.id}`, { headers: bob })).status).toBe(404)
    await app.request('/sessions?agent_id=echo', { headers: alice })
    expect(
      (await json<GetSessionsResponse>(app, '/sessions?agent_id=echo', { headers: bob })).sessions,
    ).toEqual([])
  })

  it('never give a kept answer to a request without a valid key, or over its rate limit', async () => {
    // A manual clock: the owner's bucket does not refill while the test runs.
    const clock = createManualClock(new Date('2026-11-26T09:00:00.000Z'))
    const { app } = await createTestApp({
      clock,
      apiKeys: { 'uxm_key-a': 'alice' },
      config: { rateLimitPerSecond: 1, rateLimitBurst: 3 },
    })
    const alice = { Authorization: 'Bearer uxm_key-a' }
    const session = await create(app, 'echo', 'Kept', alice)
    const path = `/sessions/${session.id}`
    // Kept now: the second read is a cache hit.
    expect((await app.request(path, { headers: alice })).status).toBe(200)
    const kept = await app.request(path, { headers: alice })
    expect(kept.status).toBe(200)
    const etag = kept.headers.get('ETag') ?? ''
    const withoutValidKey: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer uxm_key-unknown' },
    ]
    for (const headers of withoutValidKey) {
      const refused = await app.request(path, { headers: { ...headers, 'If-None-Match': etag } })
      expect(refused.status).toBe(401)
      expect(await refused.text()).not.toContain(session.id)
    }
    // The burst of 3 is spent (the create and the two reads): the next read is refused.
    const limited = await app.request(path, { headers: alice })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('ETag')).toBeNull()
    expect(await limited.text()).not.toContain(session.id)
  })

  it('answer a kept read at once (no promise), with the headers, log line and count of any answer', async () => {
    const lines: Record<string, unknown>[] = []
    const metrics = new ServerMetrics()
    const counted = vi.spyOn(metrics, 'request')
    const { app } = await createTestApp({
      apiKeys: { 'uxm_key-a': 'alice' },
      config: { rateLimitPerSecond: 100, rateLimitBurst: 100 },
      metrics,
      logger: createJsonLogger('info', (line) => lines.push(JSON.parse(line))),
    })
    const alice = { Authorization: 'Bearer uxm_key-a' }
    const session = await create(app, 'echo', 'Kept', alice)
    const path = `/sessions/${session.id}`
    // Read from the store (through validation and the handler), and kept.
    const read = await app.request(path, { headers: alice })
    lines.length = 0
    counted.mockClear()

    const kept = app.request(path, { headers: { ...alice, 'X-Request-Id': 'kept-1' } })
    expect(kept).toBeInstanceOf(Response)
    const answer = kept as Response
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe(await read.text())
    // The same headers as the answer read from the store, but for its own id and token count.
    const perRequest = new Set(['x-request-id', 'ratelimit'])
    const headersOf = (response: Response) =>
      [...response.headers].filter(([name]) => !perRequest.has(name))
    expect(headersOf(answer)).toEqual(headersOf(read))
    expect(answer.headers.get('X-Request-Id')).toBe('kept-1')
    expect(answer.headers.get('RateLimit')).toMatch(/^"default";r=\d+;t=\d+$/)
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request',
        request_id: 'kept-1',
        owner: 'alice',
        method: 'GET',
        path,
        status: 200,
      }),
    ])
    expect(counted.mock.calls).toEqual([['get_session', 200, expect.any(Number)]])

    const etag = answer.headers.get('ETag') ?? ''
    const notModified = app.request(path, { headers: { ...alice, 'If-None-Match': etag } })
    expect(notModified).toBeInstanceOf(Response)
    expect((notModified as Response).status).toBe(304)
    expect(counted.mock.calls.at(-1)).toEqual(['get_session', 304, expect.any(Number)])
  })

  it('move a session from Today to Yesterday when the day turns in the asked zone', async () => {
    // 09:00 UTC is 18:00 in Tokyo: six hours later it is the next day there, the same in UTC.
    const clock = createManualClock(new Date('2026-11-26T09:00:00.000Z'))
    const { app } = await createTestApp({ clock })
    await create(app, 'echo', 'Hello')
    expect(await bucketsOf(app, '?tz=Asia/Tokyo')).toEqual(['Today'])
    expect(await bucketsOf(app)).toEqual(['Today'])
    clock.advance(6 * 3_600_000)
    expect(await bucketsOf(app, '?tz=Asia/Tokyo')).toEqual(['Yesterday'])
    expect(await bucketsOf(app)).toEqual(['Today'])
  })

  it('query the store for every read with READ_CACHE_BYTES=0, and once while nothing changes by default', async () => {
    const readsWith = async (config: { readCacheBytes?: number }) => {
      let reads = 0
      const { app } = await createTestApp({
        config,
        wrapStore: (store) => ({
          ...store,
          getSession: (owner, id) => {
            reads++
            return store.getSession(owner, id)
          },
          // The session as JSON text, straight from the rows: a read of the store too.
          getSessionJson: async (owner, id) => {
            reads++
            return store.getSessionJson?.(owner, id)
          },
        }),
      })
      const session = await create(app, 'echo', 'Hello')
      reads = 0
      for (let i = 0; i < 3; i++) await app.request(`/sessions/${session.id}`)
      return reads
    }
    expect(await readsWith({})).toBe(1)
    expect(await readsWith({ readCacheBytes: 0 })).toBe(3)
  })
})
