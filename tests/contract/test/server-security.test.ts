/**
 * Server conformance of what openapi.yaml's `security` promises: on a server with API keys,
 * every operation that takes a key answers a documented `401` without one, and a documented
 * `429` (with `Retry-After` and the RateLimit headers) past the owner's rate and past the failed
 * authentications of a client address; the operations
 * that take none (`security: []`) answer regardless. In open mode, every operation but the probes
 * answers a documented `421` to a `Host` it does not serve, and every one that changes state a
 * documented `403` to a request from another origin.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { startInProcess } from '../src/fixtures.ts'
import { loadSpec, type Operation } from '../src/spec.ts'

const via = 'security'
const keys = { 'uxm_contract-a': 'owner-a', 'uxm_contract-b': 'owner-b' }
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` })

/** Whether the document asks this operation for a key (its own `security`, else the root's). */
function takesKey(op: Operation): boolean {
  const { document } = loadSpec()
  const raw = document.paths[op.path]?.[op.method] as { security?: unknown[] } | undefined
  const security = (raw?.security ?? document.security ?? []) as Array<Record<string, unknown>>
  return security.some((requirement) => 'bearerAuth' in requirement)
}

/** A request to the operation with every path and required query parameter filled in. */
function requestTo(op: Operation, headers: Record<string, string>): [string, RequestInit] {
  const path = op.path
    .replace('{session_id}', randomUUID())
    .replace('{file_id}', randomUUID())
    .replace('{agent_id}', 'echo')
  const query = op.parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${p.name}=echo`)
    .join('&')
  return [query ? `${path}?${query}` : path, { method: op.method.toUpperCase(), headers }]
}

const operations = loadSpec().operations
const secured = operations.filter(takesKey)
const open = operations.filter((op) => !takesKey(op))

describe('the server with API keys, against openapi.yaml', () => {
  it('documents a key for every operation but the probes', () => {
    expect(open.map((op) => op.operationId).sort()).toEqual(['get_health', 'get_readiness'])
  })

  it.each(secured.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 401 without a key or with a wrong one',
    async (operationId, op) => {
      const server = await startInProcess({}, { apiKeys: keys })
      const missing = await expectConformant(
        operationId,
        await server.request(...requestTo(op, {})),
        { status: 401, via, headers: { 'WWW-Authenticate': 'Bearer' } },
      )
      expect(missing.body).toEqual({ detail: 'Not authenticated' })
      await expectConformant(
        operationId,
        await server.request(...requestTo(op, bearer('uxm_not-issued'))),
        { status: 401, via, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
      )
    },
  )

  it.each(secured.map((op) => [op.operationId, op] as const))(
    "%s answers a documented 429 past the owner's rate",
    async (operationId, op) => {
      // Time stands still: one request per owner, then no token ever comes back.
      const clock = { now: () => new Date('2026-11-26T09:00:00.000Z') }
      const server = await startInProcess(
        { rateLimitPerSecond: 1, rateLimitBurst: 1 },
        { apiKeys: keys, clock },
      )
      const first = await server.request('/agents', { headers: bearer('uxm_contract-a') })
      expect(first.status).toBe(200)
      expect(first.headers.get('RateLimit')).toBe('"default";r=0;t=1')
      const limited = await expectConformant(
        operationId,
        await server.request(...requestTo(op, bearer('uxm_contract-a'))),
        {
          status: 429,
          via,
          headers: {
            'Retry-After': '1',
            'RateLimit-Policy': '"default";q=1;w=1',
            RateLimit: '"default";r=0;t=1',
          },
        },
      )
      expect(limited.body).toEqual({ detail: 'Too many requests; retry in 1 s' })
      // Another owner is not held back by this one.
      const other = await server.request('/agents', { headers: bearer('uxm_contract-b') })
      expect(other.status).toBe(200)
    },
  )

  it.each(secured.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 429 past the failed authentications of an address',
    async (operationId, op) => {
      // Time stands still: one failure allowed, then none comes back.
      const clock = { now: () => new Date('2026-11-26T09:00:00.000Z') }
      const server = await startInProcess(
        { authFailuresPerMinute: 1, authFailuresBurst: 1 },
        { apiKeys: keys, clock },
      )
      await expectConformant(
        operationId,
        await server.request(...requestTo(op, bearer('uxm_not-issued'))),
        {
          status: 401,
          via,
          headers: {
            'RateLimit-Policy': '"auth-failures";q=1;w=60',
            RateLimit: '"auth-failures";r=0;t=60',
          },
        },
      )
      const limited = await expectConformant(
        operationId,
        await server.request(...requestTo(op, bearer('uxm_not-issued'))),
        {
          status: 429,
          via,
          headers: {
            'Retry-After': '60',
            'RateLimit-Policy': '"auth-failures";q=1;w=60',
            RateLimit: '"auth-failures";r=0;t=60',
          },
        },
      )
      expect(limited.body).toEqual({ detail: 'Too many requests; retry in 60 s' })
      // A valid key from the same address is not held back.
      const valid = await server.request('/agents', { headers: bearer('uxm_contract-a') })
      expect(valid.status).toBe(200)
    },
  )

  it.each(open.map((op) => [op.operationId, op] as const))(
    '%s needs no key and has no rate limit',
    async (operationId, op) => {
      const clock = { now: () => new Date('2026-11-26T09:00:00.000Z') }
      const server = await startInProcess(
        { rateLimitPerSecond: 1, rateLimitBurst: 1 },
        { apiKeys: keys, clock },
      )
      for (let i = 0; i < 3; i++) {
        const answer = await expectConformant(
          operationId,
          await server.request(...requestTo(op, {})),
          { status: 200, via },
        )
        expect(answer.headers.get('RateLimit')).toBeNull()
      }
    },
  )
})

describe('the server in open mode, against openapi.yaml', () => {
  const changing = operations.filter((op) => !['get', 'head'].includes(op.method))
  const hosted = operations.filter((op) => op.responses['421'] !== undefined)

  it('documents 421 for every operation but the probes, 403 for every one that changes state', () => {
    expect(
      operations
        .filter((op) => !hosted.includes(op))
        .map((op) => op.operationId)
        .sort(),
    ).toEqual(['get_health', 'get_readiness'])
    for (const op of changing) expect(op.responses['403'], op.operationId).toBeDefined()
  })

  it.each(hosted.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 421 to a Host it does not serve',
    async (operationId, op) => {
      const server = await startInProcess()
      await expectConformant(
        operationId,
        await server.request(...requestTo(op, { Host: 'attacker.example:8000' })),
        { status: 421, via },
      )
    },
  )

  it.each(changing.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 403 to a request from another origin',
    async (operationId, op) => {
      const server = await startInProcess()
      const answer = await expectConformant(
        operationId,
        await server.request(
          ...requestTo(op, { Host: '127.0.0.1:8000', Origin: 'https://attacker.example' }),
        ),
        { status: 403, via },
      )
      expect(answer.body).toMatchObject({ detail: expect.stringMatching(/refused/) })
    },
  )
})

/** The operations whose documented 503 is this one's (by its description). */
const answering503 = (words: RegExp) =>
  operations.filter((op) => words.test(op.responses['503']?.description ?? ''))

describe('the server shutting down, against openapi.yaml', () => {
  const turns = answering503(/shutting down/)

  it.each(turns.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 503 with Retry-After once shutdown has begun',
    async (operationId, op) => {
      const server = await startInProcess()
      await server.shutdown(0)
      await expectConformant(operationId, await server.request(...requestTo(op, {})), {
        status: 503,
        via,
        headers: { 'Retry-After': '5' },
      })
    },
  )
})

describe('reads past MAX_WAITING_READS, against openapi.yaml', () => {
  const reads = answering503(/MAX_WAITING_READS/)

  it('documents the busy 503 for every read the server admits', () => {
    expect(reads.map((op) => op.operationId).sort()).toEqual([
      'get_grouped_sessions',
      'get_session',
      'get_session_messages',
      'get_session_tree',
      'get_sessions',
      'search_sessions',
    ])
  })

  it.each(reads.map((op) => [op.operationId, op] as const))(
    '%s answers a documented 503 with Retry-After while the one connection reads and none may wait',
    async (operationId, op) => {
      const server = await startInProcess({ maxWaitingReads: 0 }, { readsAtOnce: 1 })
      const form = new FormData()
      form.set('agent_id', 'echo')
      form.set('text_prompt', 'Hello')
      const created = await server.request('/sessions/text', { method: 'POST', body: form })
      expect(created.status).toBe(200)
      const { id } = (await created.json()) as { id: string }
      const { reached } = server.reads.hold()
      const reading = server.request(`/sessions/${id}`)
      await reached
      const busy = await expectConformant(operationId, await server.request(...requestTo(op, {})), {
        status: 503,
        via,
        headers: { 'Retry-After': '1' },
      })
      expect(busy.body).toEqual({ detail: 'The server is busy; retry in 1 s' })
      server.reads.release()
      expect((await reading).status).toBe(200)
    },
  )
})
