/**
 * A tiny app on the real routes' paths, for this folder's tests: each route echoes what the
 * validator hands it. Not used by the server.
 */
import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import type { BodyLimits } from '../../src/config/config.ts'
import { joinPieces } from '../../src/domain/file-chunks.ts'
import { createOpenApiValidator } from '../../src/http/validation/openapi/openapi-validator.ts'

export const testLimits: BodyLimits = {
  maxFileBytes: 1024,
  maxFiles: 3,
  maxRequestBytes: 8 * 1024,
  maxJsonBytes: 150_000,
}

export function createTestApp(limits: BodyLimits = testLimits) {
  const validator = createOpenApiValidator(openapiDocument, limits)
  return new Hono()
    .post('/sessions/text', validator.for('create_session_from_text'), (c) => {
      const form = c.req.valid('form')
      const files = form.files.map(({ chunks, ...file }) => ({
        ...file,
        text: new TextDecoder().decode(joinPieces(chunks)),
        isUint8Array: chunks.every((chunk) => chunk instanceof Uint8Array),
      }))
      return c.json({ form: { ...form, files }, header: c.req.valid('header') })
    })
    .get('/sessions/grouped', validator.for('get_grouped_sessions'), (c) =>
      c.json({ query: c.req.valid('query') }),
    )
    .get('/sessions/:session_id', validator.for('get_session'), (c) =>
      c.json({ param: c.req.valid('param') }),
    )
    .put('/sessions/:session_id', validator.for('update_session'), (c) =>
      c.json({
        param: c.req.valid('param'),
        json: c.req.valid('json'),
        header: c.req.valid('header'),
      }),
    )
    .get('/sessions', validator.for('get_sessions'), (c) => c.json({ query: c.req.valid('query') }))
}

export interface Part {
  name: string
  value?: string | Uint8Array
  filename?: string
  contentType?: string
  /** Raw extra header lines, for hostile inputs. */
  headers?: string[]
}

export const BOUNDARY = '----uxmate-test-boundary'

/** A multipart/form-data body built byte by byte, so tests control every header. */
export function multipartBody(
  parts: readonly Part[],
  boundary = BOUNDARY,
): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder()
  const chunks: Uint8Array[] = []
  for (const part of parts) {
    let disposition = `Content-Disposition: form-data; name="${part.name}"`
    if (part.filename !== undefined) disposition += `; filename="${part.filename}"`
    const lines = [`--${boundary}`, disposition]
    if (part.contentType !== undefined) lines.push(`Content-Type: ${part.contentType}`)
    lines.push(...(part.headers ?? []))
    chunks.push(encoder.encode(`${lines.join('\r\n')}\r\n\r\n`))
    const value = part.value ?? ''
    chunks.push(typeof value === 'string' ? encoder.encode(value) : value)
    chunks.push(encoder.encode('\r\n'))
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`))
  return concat(chunks)
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** A body delivered in chunks of `size` bytes, as a socket would. */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close()
        return
      }
      controller.enqueue(bytes.slice(offset, offset + size))
      offset += size
    },
  })
}

/** A request with a streamed body (no Content-Length unless given). */
export function streamRequest(
  path: string,
  method: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Request {
  return new Request(`http://localhost${path}`, {
    method,
    body,
    headers,
    duplex: 'half',
  } as RequestInit)
}

export function postForm(
  app: ReturnType<typeof createTestApp>,
  parts: readonly Part[],
  headers: Record<string, string> = {},
) {
  return app.request('/sessions/text', {
    method: 'POST',
    body: multipartBody(parts),
    headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
  })
}
