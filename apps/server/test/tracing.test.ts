/**
 * OpenTelemetry traces against an in-process span exporter: a create whose reply streams from
 * a fake OpenAI-compatible server gives a server span (child of the caller's traceparent), the
 * store's spans under it, the run as a span of its own linked to it, and the model calls under
 * the run with the GenAI attributes; the provider receives the model call's traceparent, and
 * log lines carry the ids of the span they were written in.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node'
import type { Session } from '@uxmate/contract'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { createSessionsApp } from '../src/boot.ts'
import { defaultConfig } from '../src/config/config.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import { createJsonLogger } from '../src/logger.ts'
import { startTracing, type Tracing } from '../src/observability/tracing.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { createLlmAgent, createScriptedAgent, createTestApp, sessionForm } from './test-app.ts'

const exporter = new InMemorySpanExporter()
let tracing: Tracing
beforeAll(async () => {
  tracing = await startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
})
afterAll(async () => {
  await tracing.shutdown()
  trace.disable()
  context.disable()
  propagation.disable()
})

let fake: FakeOpenAiServer
beforeEach(async () => {
  exporter.reset()
  fake = await startFakeOpenAiServer()
})
afterEach(async () => {
  await fake.close()
})

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = spans.filter((span) => span.name === name)
  expect(found.map((span) => span.name)).toEqual([name])
  return found[0] as ReadableSpan
}
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)

describe('traces', () => {
  it('follow a create from the request through the store and the run to the model', async () => {
    const { app } = await createTestApp({ tracing, agents: [createLlmAgent(fake.baseUrl)] })
    const answer = app.request('/sessions/text', {
      method: 'POST',
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'X-Request-Id': 'req-42' },
      body: sessionForm({ agent_id: 'llm', text_prompt: 'Plan a user interview' }),
    })
    const stream = await fake.nextStream()
    stream.startStream()
    stream.send('Here is ')
    stream.send('a plan.')
    stream.finish({ prompt_tokens: 31, completion_tokens: 4 })
    const titled = await fake.nextTitle()
    titled.reply('Interview plan', { prompt_tokens: 12, completion_tokens: 2 })
    const response = await answer
    expect(response.status).toBe(200)
    expect(response.headers.get('X-Request-Id')).toBe('req-42')
    const session = (await response.json()) as Session
    expect(session.status).toBe('Ready')
    const spans = exporter.getFinishedSpans()

    // The request: a child of the caller's span, named by its route template.
    const server = one(spans, 'POST /sessions/text')
    expect(server.kind).toBe(SpanKind.SERVER)
    expect(server.spanContext().traceId).toBe(CALLER_TRACE)
    expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN)
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/sessions/text',
      'url.path': '/sessions/text',
      'http.response.status_code': 200,
      'uxmate.request_id': 'req-42',
      'uxmate.operation_id': 'create_session_from_text',
    })

    // The store's calls of the request, under it: the new session is stored there.
    const requestStoreCalls = childrenOf(spans, server).map((span) => span.name)
    expect(requestStoreCalls).toContain('store.createSession')
    const created = one(spans, 'store.createSession')
    expect(created.kind).toBe(SpanKind.CLIENT)
    expect(created.attributes).toMatchObject({ 'db.system.name': 'sqlite' })

    // The run: a trace of its own, linked to the request that started it.
    const run = one(spans, 'invoke_agent llm')
    expect(run.parentSpanContext).toBeUndefined()
    expect(run.spanContext().traceId).not.toBe(CALLER_TRACE)
    expect(run.links.map((link) => link.context.spanId)).toEqual([server.spanContext().spanId])
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'llm',
      'uxmate.run.outcome': 'completed',
      'gen_ai.usage.input_tokens': 43,
      'gen_ai.usage.output_tokens': 6,
    })
    expect(run.events.map((event) => event.name)).toEqual(['first_token'])

    // The model calls, under the run: the reply, streamed, and the title.
    const calls = spans.filter((span) => span.name === 'chat test-model')
    expect(calls).toHaveLength(2)
    for (const call of calls) {
      expect(call.kind).toBe(SpanKind.CLIENT)
      expect(call.parentSpanContext?.spanId).toBe(run.spanContext().spanId)
      expect(call.status.code).not.toBe(SpanStatusCode.ERROR)
    }
    const reply = calls.find((call) => call.attributes['uxmate.model_call.kind'] === 'reply')
    expect(reply?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'test-model',
      'gen_ai.response.model': 'test-model',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 31,
      'gen_ai.usage.output_tokens': 4,
      'server.address': '127.0.0.1',
    })
    const title = calls.find((call) => call.attributes['uxmate.model_call.kind'] === 'title')
    expect(title?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 2,
    })

    // The provider was told which span called it (W3C traceparent).
    const context = (span: ReadableSpan | undefined) =>
      `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`
    expect(stream.headers.traceparent).toBe(context(reply))
    expect(titled.headers.traceparent).toBe(context(title))

    // The end of the run is recorded within it.
    const finish = one(spans, 'store.finishRun')
    expect(finish.parentSpanContext?.spanId).toBe(run.spanContext().spanId)
  })

  it('name a request by its template, never its raw path, and mark a failed run', async () => {
    const scripted = createScriptedAgent('scripted')
    const { app } = await createTestApp({ tracing, agents: [scripted.agent] })
    const answer = app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'scripted', text_prompt: 'Hi' }),
    })
    await scripted.started()
    scripted.fail(new Error('the model broke'))
    const session = (await (await answer).json()) as Session
    expect((await app.request(`/sessions/${session.id}`)).status).toBe(200)
    expect((await app.request('/no/such/path')).status).toBe(404)
    const spans = exporter.getFinishedSpans()
    const read = one(spans, 'GET /sessions/{session_id}')
    expect(read.attributes['http.route']).toBe('/sessions/{session_id}')
    expect(read.attributes['url.path']).toBe(`/sessions/${session.id}`)
    expect(spans.some((span) => span.name.includes(session.id))).toBe(false)
    // Outside every operation: the method alone.
    const unknown = spans.filter((span) => span.attributes['url.path'] === '/no/such/path')
    expect(
      unknown.map((span) => [span.name, span.attributes['http.response.status_code']]),
    ).toEqual([['GET', 404]])
    const run = one(spans, 'invoke_agent scripted')
    expect(run.status.code).toBe(SpanStatusCode.ERROR)
    expect(run.attributes['uxmate.run.outcome']).toBe('agent_error')
  })

  it('put the trace and span ids on every log line written within a span', async () => {
    const lines: string[] = []
    const logger = createJsonLogger('info', (line) => lines.push(line), { traceIds: true })
    const tracer = trace.getTracer('test')
    logger.info('outside')
    tracer.startActiveSpan('work', (span) => {
      logger.info('inside', { request_id: 'req-7' })
      span.end()
    })
    const [outside, inside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(outside).not.toHaveProperty('trace_id')
    const work = one(exporter.getFinishedSpans(), 'work')
    expect(inside).toMatchObject({
      msg: 'inside',
      request_id: 'req-7',
      trace_id: work.spanContext().traceId,
      span_id: work.spanContext().spanId,
      trace_flags: '01',
    })
  })

  it("log the request's line with its server span's ids", async () => {
    const lines: string[] = []
    const store = openSqliteStore(':memory:')
    await store.migrate()
    const { app } = createSessionsApp({
      store,
      agents: createAgentRegistry([createEchoAgent({ delayMs: 0 })]),
      config: { ...defaultConfig, rateLimitPerSecond: 0 },
      logger: createJsonLogger('info', (line) => lines.push(line), { traceIds: true }),
      tracing,
    })
    expect((await app.request('/health', { headers: { 'X-Request-Id': 'req-9' } })).status).toBe(
      200,
    )
    const line = lines.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'request')
    const server = one(exporter.getFinishedSpans(), 'GET /health')
    expect(line).toMatchObject({
      request_id: 'req-9',
      trace_id: server.spanContext().traceId,
      span_id: server.spanContext().spanId,
    })
  })
})
