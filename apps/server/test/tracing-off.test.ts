/**
 * Tracing off (no OTEL_* variables, so no tracer provider): a model call carries no
 * `traceparent`, and a request makes no span; the SDK itself is never imported.
 */
import { createRequire } from 'node:module'
import { trace } from '@opentelemetry/api'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.ts'
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts'
import { createLlmAgent, createTestApp, sessionForm } from './test-app.ts'

let fake: FakeOpenAiServer
beforeEach(async () => {
  fake = await startFakeOpenAiServer()
})
afterEach(async () => {
  await fake.close()
})

it('sends no traceparent to the provider and loads no SDK when tracing is off', async () => {
  expect(loadConfig({}).tracing).toBe(false)
  const { app } = await createTestApp({ agents: [createLlmAgent(fake.baseUrl)] })
  const answer = app.request('/sessions/text', {
    method: 'POST',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    body: sessionForm({ agent_id: 'llm', text_prompt: 'Hello' }),
  })
  const stream = await fake.nextStream()
  expect(stream.headers.traceparent).toBeUndefined()
  stream.startStream()
  stream.send('Hi')
  stream.finish()
  ;(await fake.nextTitle()).reply('Greeting')
  expect(((await (await answer).json()) as Session).status).toBe('Ready')
  // The API's tracer is the no-op one: nothing records.
  expect(trace.getTracer('x').startSpan('y').isRecording()).toBe(false)
  const loaded = Object.keys(createRequire(import.meta.url).cache)
  expect(loaded.filter((path) => path.includes('@opentelemetry/sdk-trace'))).toEqual([])
  expect(loaded.filter((path) => path.includes('@opentelemetry/api'))).not.toEqual([])
})
