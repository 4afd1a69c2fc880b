/**
 * The Prometheus metrics, scraped from their own port and parsed: they move as requests, runs,
 * refusals, kept reads, streams and commits happen, and their labels never name an owner or a
 * session.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ServerMetrics } from '../src/observability/metrics.ts'
import { listenMetrics } from '../src/observability/metrics-server.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { readSse } from './sse-reader.ts'
import { parseExposition, type Sample, sampled } from './support/prometheus.ts'
import {
  createControlledAgent,
  createLlmAgent,
  createScriptedAgent,
  createTestApp,
  sessionForm,
} from './test-app.ts'

let metrics: ServerMetrics
let server: Server
let scrapeUrl: string
beforeEach(async () => {
  metrics = new ServerMetrics()
  server = await new Promise<Server>((resolve) => {
    const listening = listenMetrics(metrics, { host: '127.0.0.1', port: 0 }, () =>
      resolve(listening),
    )
  })
  scrapeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
})
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

async function scrape(): Promise<Sample[]> {
  const response = await fetch(scrapeUrl)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4')
  return parseExposition(await response.text())
}

const create = (
  app: { request: (path: string, init: RequestInit) => Promise<Response> | Response },
  agent = 'echo',
  extra: RequestInit = {},
) =>
  app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: agent, text_prompt: 'Hello metrics' }),
    ...extra,
  })

describe('GET /metrics', () => {
  it('is served on its own port only at /metrics, to GET and HEAD', async () => {
    const base = scrapeUrl.slice(0, -'/metrics'.length)
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(`${base}/sessions`)).status).toBe(404)
    const post = await fetch(scrapeUrl, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const head = await fetch(scrapeUrl, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it("carries Node's process metrics: event-loop lag, heap, GC", async () => {
    const samples = await scrape()
    const names = new Set(samples.map((sample) => sample.name))
    for (const name of [
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_resident_memory_bytes',
    ])
      expect(names).toContain(name)
    // GC durations appear once a collection has happened; the metric is declared from the start.
    const text = await (await fetch(scrapeUrl)).text()
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram')
  })
})

describe('request metrics', () => {
  it('count requests by operationId and status, with their latency, and nothing else by id', async () => {
    const { app } = await createTestApp({ metrics })
    const before = await scrape()
    expect(
      sampled(before, 'uxmate_http_request_duration_seconds_count', { operation: 'get_health' }),
    ).toBe(0)
    await app.request('/health')
    await app.request('/health')
    const session = (await (await create(app)).json()) as Session
    expect((await app.request(`/sessions/${session.id}`)).status).toBe(200)
    // An id past its limits is refused by validation, an unknown one is not found.
    expect((await app.request(`/sessions/${'x'.repeat(129)}`)).status).toBe(422)
    expect((await app.request('/sessions/no-such-session')).status).toBe(404)
    expect((await app.request('/no/such/path')).status).toBe(404)

    const after = await scrape()
    const count = (operation: string, status: string) =>
      sampled(after, 'uxmate_http_request_duration_seconds_count', { operation, status })
    expect(count('get_health', '200')).toBe(2)
    expect(count('create_session_from_text', '200')).toBe(1)
    expect(count('get_session', '200')).toBe(1)
    expect(count('get_session', '422')).toBe(1)
    expect(count('get_session', '404')).toBe(1)
    // Outside the API: one bounded label, not the path.
    expect(count('none', '404')).toBe(1)
    // A histogram: the slowest bucket holds every request.
    expect(
      sampled(after, 'uxmate_http_request_duration_seconds_bucket', {
        operation: 'get_health',
        le: '+Inf',
      }),
    ).toBe(2)
    expect(
      sampled(after, 'uxmate_http_request_duration_seconds_sum', { operation: 'get_health' }),
    ).toBeGreaterThan(0)
    const text = await (await fetch(scrapeUrl)).text()
    expect(text).not.toContain(session.id)
    expect(text).not.toContain('anonymous')
  })

  it('count refusals: no API key, and over the rate limit', async () => {
    const { app } = await createTestApp({
      metrics,
      apiKeys: { 'key-a': 'alice' },
      config: { rateLimitPerSecond: 1, rateLimitBurst: 1 },
    })
    expect((await app.request('/agents')).status).toBe(401)
    const auth = { headers: { Authorization: 'Bearer key-a' } }
    expect((await app.request('/agents', auth)).status).toBe(200)
    expect((await app.request('/agents', auth)).status).toBe(429)
    const samples = await scrape()
    expect(sampled(samples, 'uxmate_http_refused_total', { reason: 'unauthenticated' })).toBe(1)
    expect(sampled(samples, 'uxmate_http_refused_total', { reason: 'rate_limited' })).toBe(1)
    expect(
      sampled(samples, 'uxmate_http_request_duration_seconds_count', {
        operation: 'get_agents',
        status: '429',
      }),
    ).toBe(1)
  })

  it('count kept reads found and missed', async () => {
    const { app } = await createTestApp({ metrics })
    const session = (await (await create(app)).json()) as Session
    await app.request(`/sessions/${session.id}`)
    await app.request(`/sessions/${session.id}`)
    await app.request(`/sessions/${session.id}`)
    const samples = await scrape()
    expect(sampled(samples, 'uxmate_read_cache_lookups_total', { result: 'miss' })).toBe(1)
    expect(sampled(samples, 'uxmate_read_cache_lookups_total', { result: 'hit' })).toBe(2)
  })

  it('count group commits (SQLite): batch sizes and commit latency', async () => {
    const { app } = await createTestApp({ metrics })
    await Promise.all([create(app), create(app), create(app)])
    const samples = await scrape()
    const commits = sampled(samples, 'uxmate_sqlite_commit_batch_size_count')
    expect(commits).toBeGreaterThan(0)
    // Three sessions, each a turn and a run's end at least: six writes or more, in fewer commits.
    expect(sampled(samples, 'uxmate_sqlite_commit_batch_size_sum')).toBeGreaterThanOrEqual(6)
    expect(sampled(samples, 'uxmate_sqlite_commit_duration_seconds_count', { outcome: 'ok' })).toBe(
      commits,
    )
  })
})

describe('run metrics', () => {
  let fake: FakeOpenAiServer
  beforeEach(async () => {
    fake = await startFakeOpenAiServer()
  })
  afterEach(async () => {
    await fake.close()
  })

  it('count runs started and ended by agent and outcome, their duration and first token', async () => {
    const scripted = createScriptedAgent('scripted')
    const { app } = await createTestApp({
      metrics,
      agents: [scripted.agent],
      config: { runWaitMs: 0 },
    })
    const first = create(app, 'scripted')
    await scripted.started()
    expect(sampled(await scrape(), 'uxmate_runs_started_total', { agent: 'scripted' })).toBe(1)
    expect(sampled(await scrape(), 'uxmate_runs_ended_total')).toBe(0)
    scripted.send('Hi')
    scripted.finish()
    const session = (await (await first).json()) as Session
    const events = await readSse(await app.request(`/sessions/${session.id}/events`)).rest()
    expect(events.at(-1)?.data).toEqual({ status: 'Ready' })

    const failing = create(app, 'scripted')
    await scripted.started()
    scripted.fail(new Error('the model broke'))
    const failed = (await (await failing).json()) as Session
    await readSse(await app.request(`/sessions/${failed.id}/events`)).rest()

    const samples = await scrape()
    expect(sampled(samples, 'uxmate_runs_started_total', { agent: 'scripted' })).toBe(2)
    expect(
      sampled(samples, 'uxmate_runs_ended_total', { agent: 'scripted', outcome: 'completed' }),
    ).toBe(1)
    expect(
      sampled(samples, 'uxmate_runs_ended_total', { agent: 'scripted', outcome: 'agent_error' }),
    ).toBe(1)
    expect(
      sampled(samples, 'uxmate_run_duration_seconds_count', {
        agent: 'scripted',
        outcome: 'completed',
      }),
    ).toBe(1)
    // Only the run that wrote something had a first token.
    expect(
      sampled(samples, 'uxmate_run_time_to_first_token_seconds_count', { agent: 'scripted' }),
    ).toBe(1)
  })

  it('count a cancelled run as such', async () => {
    const slow = createControlledAgent('slow')
    const { app } = await createTestApp({ metrics, agents: [slow.agent], config: { runWaitMs: 0 } })
    const session = (await (await create(app, 'slow')).json()) as Session
    expect((await app.request(`/sessions/${session.id}/cancel`, { method: 'POST' })).status).toBe(
      200,
    )
    const samples = await scrape()
    expect(
      sampled(samples, 'uxmate_runs_ended_total', { agent: 'slow', outcome: 'cancelled' }),
    ).toBe(1)
  })

  it("count the models' tokens in and out by agent", async () => {
    fake.answerAutomatically(() => ({
      text: 'A reply',
      usage: { prompt_tokens: 40, completion_tokens: 7 },
    }))
    const { app } = await createTestApp({ metrics, agents: [createLlmAgent(fake.baseUrl)] })
    const session = (await (await create(app, 'llm')).json()) as Session
    expect(session.status).toBe('Ready')
    const samples = await scrape()
    // The reply and the title: two calls of 40 in and 7 out.
    expect(
      sampled(samples, 'uxmate_model_tokens_total', { agent: 'llm', direction: 'input' }),
    ).toBe(80)
    expect(
      sampled(samples, 'uxmate_model_tokens_total', { agent: 'llm', direction: 'output' }),
    ).toBe(14)
  })

  it('count the event streams open', async () => {
    const slow = createControlledAgent('slow')
    const { app } = await createTestApp({ metrics, agents: [slow.agent], config: { runWaitMs: 0 } })
    const session = (await (await create(app, 'slow')).json()) as Session
    const stream = await app.request(`/sessions/${session.id}/events`)
    expect(sampled(await scrape(), 'uxmate_sse_streams_open')).toBe(1)
    slow.answer('Done')
    await readSse(stream).rest()
    expect(sampled(await scrape(), 'uxmate_sse_streams_open')).toBe(0)
  })
})

describe('the Grafana dashboard (docs/grafana-dashboard.json)', () => {
  it('charts only metrics the server exports', async () => {
    const { readFile } = await import('node:fs/promises')
    const dashboard = await readFile(
      new URL('../../../docs/grafana-dashboard.json', import.meta.url),
      'utf8',
    )
    const charted = new Set(dashboard.match(/\b(?:uxmate|nodejs|process)_\w+/g))
    // The pool's gauges appear with a PostgreSQL store.
    metrics.watchPool(() => ({ total: 3, idle: 2, waiting: 0 }))
    const text = await (await fetch(scrapeUrl)).text()
    const declared = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]))
    const missing = [...charted].filter(
      (name) => !declared.has(name) && !declared.has(name.replace(/_(bucket|sum|count)$/, '')),
    )
    expect(missing).toEqual([])
    expect(charted.size).toBeGreaterThan(15)
    expect(sampled(await scrape(), 'uxmate_pg_pool_idle_connections')).toBe(2)
  })
})
