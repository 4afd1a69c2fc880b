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

describe('over a socket, uploads read straight from Node’s request', () => {
  const big = { ...testLimits, maxFileBytes: 512 * 1024, maxRequestBytes: 2 * 1024 * 1024 }
  let own: ReturnType<typeof serve>
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      own = serve({ fetch: createTestApp(big).fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(),
      )
    })
    url = `http://127.0.0.1:${(own.address() as AddressInfo).port}/sessions/text`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => own.close(() => resolve()))
  })

  /** Text that differs at every position, so that a piece lost, doubled or moved shows. */
  const textOf = (seed: number, length: number) =>
    Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7 + seed * 13) % 94))).join('')

  it('keeps every byte of several large files, in order, sent whole or in pieces', async () => {
    const values = [textOf(1, big.maxFileBytes), textOf(2, 300_001), textOf(3, 1)]
    const body = multipartBody([
      { name: 'agent_id', value: 'echo' },
      { name: 'text_prompt', value: 'hi' },
      ...values.map((value, i) => ({ name: 'files', filename: `f${i}.txt`, value })),
    ])
    for (const chunked of [false, true]) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          url,
          {
            method: 'POST',
            headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            )
          },
        )
        req.on('error', reject)
        if (!chunked) req.end(body)
        else {
          for (let i = 0; i < body.byteLength; i += 10_007) req.write(body.slice(i, i + 10_007))
          req.end()
        }
      })
      expect(answer.status).toBe(200)
      const files = (JSON.parse(answer.body) as { form: { files: Array<{ text: string }> } }).form
        .files
      expect(files.map((file) => file.text)).toEqual(values)
    }
  })
})
