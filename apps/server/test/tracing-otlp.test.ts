/**
 * Tracing as the server starts it from OTEL_* variables: the OTLP exporter (http/protobuf)
 * sends the spans to the endpoint named, here a receiver in this process.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { context, propagation, trace } from '@opentelemetry/api'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTracing } from '../src/observability/tracing.ts'
import { createTestApp } from './test-app.ts'

interface Received {
  path: string
  contentType: string | undefined
  body: Buffer
}
const received: Received[] = []
const receiver = createServer((request, response) => {
  const parts: Buffer[] = []
  request.on('data', (part: Buffer) => parts.push(part))
  request.on('end', () => {
    received.push({
      path: request.url ?? '',
      contentType: request.headers['content-type'],
      body: Buffer.concat(parts),
    })
    response.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end()
  })
})
const saved = { ...process.env }
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const { port } = receiver.address() as AddressInfo
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test'
})
afterAll(async () => {
  process.env = saved
  trace.disable()
  context.disable()
  propagation.disable()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})

it('exports the spans over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, with the resource', async () => {
  const tracing = await startTracing()
  const { app } = await createTestApp({ tracing })
  expect((await app.request('/health')).status).toBe(200)
  // Shutting down sends what the batch still holds.
  await tracing.shutdown()
  const traces = received.filter((request) => request.path === '/v1/traces')
  expect(traces.length).toBeGreaterThan(0)
  expect(traces[0]?.contentType).toBe('application/x-protobuf')
  // Protobuf keeps strings as they are: the span's name and the resource are in the bytes.
  const bytes = Buffer.concat(traces.map((request) => request.body)).toString('latin1')
  expect(bytes).toContain('GET /health')
  expect(bytes).toContain('uxmate-sessions')
  expect(bytes).toContain('deployment.environment.name')
})
