/**
 * The same validator behind a real socket (@hono/node-server), where bodies arrive from
 * Node's IncomingMessage in network-sized chunks and a refused upload must not hang the client.
 */
import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BOUNDARY,
  createTestApp,
  multipartBody,
  testLimits,
} from '../../../../test/support/validation-app.ts'

// A request limit far above the file limit, so which one trips depends only on what is sent.
const limits = { ...testLimits, maxRequestBytes: 1024 * 1024 }
let server: ReturnType<typeof serve>
let base = ''

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: createTestApp(limits).fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(),
    )
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/**
 * Sends `body` with Node's client and resolves with the status and JSON answer; `chunked`
 * sends it without Content-Length, in pieces.
 */
function send(body: Uint8Array, headers: Record<string, string>, chunked = false) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    // A connection of its own: after an early 413 the server drains, then may close, the old
    // one, and a request sent on it (keep-alive reuse) would be reset before any answer.
    const req = httpRequest(
      `${base}/sessions/text`,
      { method: 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        )
      },
    )
    // The server may answer and stop reading before the upload ends.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    if (!chunked) {
      req.end(body)
      return
    }
    for (let i = 0; i < body.byteLength; i += 16 * 1024) req.write(body.slice(i, i + 16 * 1024))
    req.end()
  })
}

describe('over a socket', () => {
  const headers = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }
  const prompt = [
    { name: 'agent_id', value: 'echo' },
    { name: 'text_prompt', value: 'hi' },
  ]

  it('reads a form with files', async () => {
    const data = 'x'.repeat(testLimits.maxFileBytes)
    const { status, body } = await send(
      multipartBody([...prompt, { name: 'files', filename: 'a.txt', value: data }]),
      headers,
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({
      form: {
        files: [
          {
            name: 'a.txt',
            contentType: 'application/octet-stream',
            size: testLimits.maxFileBytes,
            sha256: createHash('sha256').update(data).digest('hex'),
          },
        ],
      },
    })
  })

  it('answers 413 to an oversized upload without waiting for all of it', async () => {
    const big = multipartBody([
      ...prompt,
      { name: 'files', filename: 'big.bin', value: new Uint8Array(2 * 1024 * 1024) },
    ])
    // Declared too large: refused before reading.
    expect(await send(big, headers)).toEqual({
      status: 413,
      body: {
        detail: `Request body is larger than the limit of ${limits.maxRequestBytes} bytes`,
      },
    })
    // Not declared: the file's own limit trips while it streams in.
    expect(await send(big, headers, true)).toEqual({
      status: 413,
      body: {
        detail: `File 'big.bin' is larger than the limit of ${testLimits.maxFileBytes} bytes`,
      },
    })
  })

  it('answers 422 to a truncated form', async () => {
    const whole = multipartBody([...prompt, { name: 'files', filename: 'a.txt', value: 'abc' }])
    const { status } = await send(whole.slice(0, whole.byteLength - 10), headers)
    expect(status).toBe(422)
  })
})
