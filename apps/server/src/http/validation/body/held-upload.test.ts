/**
 * An upload's memory and its share of the upload budget last until its files are stored, and
 * not longer: through a real socket, where chunks come from Node's request.
 */
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BOUNDARY,
  multipartBody,
  type Part,
  testLimits,
} from '../../../../test/support/validation-app.ts'
import { joinPieces } from '../../../domain/file-chunks.ts'
import { createOpenApiValidator } from '../openapi/openapi-validator.ts'
import { BODY_BUFFER_BYTES, freeChunk, HeldUpload } from './held-upload.ts'
import { UploadGate } from './upload-gate.ts'

describe('freeChunk', () => {
  it('frees a chunk that is all of its buffer, and leaves one that shares its buffer', () => {
    const whole = new Uint8Array(4096).fill(1)
    const view = whole.subarray(0, 10)
    freeChunk(whole)
    expect(whole.byteLength).toBe(0)
    expect(view.byteLength).toBe(0)
    freeChunk(whole)

    const shared = new Uint8Array(100).fill(2)
    const part = shared.subarray(10, 20)
    freeChunk(part)
    expect(part.byteLength).toBe(10)
    expect(shared[0]).toBe(2)
  })
})

const MiB = 1024 * 1024

describe('HeldUpload', () => {
  it('copies a body into buffers of its own, sized from its declared length', async () => {
    const gate = new UploadGate(8 * MiB)
    const declared = 2.5 * MiB
    const held = new HeldUpload(gate.lease(), declared)
    const first = new Uint8Array(BODY_BUFFER_BYTES + 10).fill(1)
    const copies = await held.copy(first)
    // Cut where the first buffer (BODY_BUFFER_BYTES) ends.
    expect(copies.map((copy) => copy.byteLength)).toEqual([BODY_BUFFER_BYTES, 10])
    first.fill(9)
    expect(copies.every((copy) => copy.every((byte) => byte === 1))).toBe(true)
    const rest = await held.copy(new Uint8Array(declared - first.byteLength).fill(2))
    // The budget counts the buffers: the declared bytes, the last buffer no larger than its part.
    expect(gate.usedBytes).toBe(declared)
    expect(joinPieces([...copies, ...rest]).byteLength).toBe(declared)
    held.release()
    expect(gate.usedBytes).toBe(0)
    expect([...copies, ...rest].every((copy) => copy.byteLength === 0)).toBe(true)
    // A second release (the handler's end, after the domain's) changes nothing.
    const other = gate.lease()
    expect(other.take(100)).toBeUndefined()
    held.release()
    expect(gate.usedBytes).toBe(100)
  })

  it('waits for room in the budget before it takes a new buffer', async () => {
    const gate = new UploadGate(1.5 * BODY_BUFFER_BYTES)
    const other = gate.lease()
    expect(other.take(BODY_BUFFER_BYTES)).toBeUndefined()
    const held = new HeldUpload(gate.lease(), MiB)
    let copied = false
    const copying = held.copy(new Uint8Array(10)).then(() => {
      copied = true
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(copied).toBe(false)
    expect(gate.usedBytes).toBe(BODY_BUFFER_BYTES)
    other.close()
    await copying
    expect(copied).toBe(true)
    expect(gate.usedBytes).toBe(BODY_BUFFER_BYTES)
    held.release()
  })

  it('sizes its buffers from the declared length, BODY_BUFFER_BYTES without one or past it', async () => {
    const declared = new HeldUpload(undefined, BODY_BUFFER_BYTES + 100)
    const copies = await declared.copy(new Uint8Array(BODY_BUFFER_BYTES + 150))
    expect(copies.map((copy) => copy.buffer.byteLength)).toEqual([
      BODY_BUFFER_BYTES,
      100,
      BODY_BUFFER_BYTES,
    ])
    declared.release()
    const undeclared = new HeldUpload()
    const [copy] = await undeclared.copy(new Uint8Array(10))
    expect(copy?.buffer.byteLength).toBe(BODY_BUFFER_BYTES)
    undeclared.release()
  })
})

const limits = {
  ...testLimits,
  maxFileBytes: 512 * 1024,
  maxRequestBytes: 2 * 1024 * 1024,
  // Less than one upload: a second one waits while the first holds its bytes.
  uploadBufferBytes: 100 * 1024,
}
const FILE_BYTES = 200 * 1024

describe('an upload over a socket, with an upload budget', () => {
  const events: string[] = []
  /** Per request (its prompt): called by the test to say that the files are stored. */
  const storeNow = new Map<string, () => void>()
  const stored = new Map<string, { before: string; after: number[] }>()
  let server: ReturnType<typeof serve>
  let url = ''

  beforeAll(async () => {
    const validator = createOpenApiValidator(openapiDocument, limits)
    const app = new Hono().post(
      '/sessions/text',
      validator.for('create_session_from_text'),
      async (c) => {
        const form = c.req.valid('form')
        const name = form.text_prompt
        events.push(`${name} handled`)
        if (name.startsWith('refuse')) return c.json({ detail: 'refused' }, 409)
        const before = new TextDecoder().decode(joinPieces(form.files[0]?.chunks ?? []))
        await new Promise<void>((resolve) => storeNow.set(name, resolve))
        // What the domain does once the files are in the store.
        for (const file of form.files) file.stored?.()
        events.push(`${name} stored`)
        const after = form.files.flatMap((file) => file.chunks.map((chunk) => chunk.byteLength))
        stored.set(name, { before, after })
        return c.json({ ok: true })
      },
    )
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sessions/text`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  /** Posts a form of `parts`; resolves with the status. */
  const post = (parts: Part[]) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
          agent: false,
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.end(multipartBody(parts))
    })
  const upload = (prompt: string, file: string) =>
    post([
      { name: 'agent_id', value: 'echo' },
      { name: 'text_prompt', value: prompt },
      { name: 'files', filename: 'a.txt', value: file },
    ])

  it('holds a second upload back until the first one’s files are stored, then frees them', async () => {
    events.length = 0
    const fileA = 'a'.repeat(FILE_BYTES)
    const first = upload('first', fileA)
    await expect.poll(() => storeNow.has('first')).toBe(true)
    const second = upload('second', 'b'.repeat(FILE_BYTES))
    // The first request is parsed and waits in its handler; the second may not be read on.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(events).toEqual(['first handled'])
    storeNow.get('first')?.()
    await expect.poll(() => storeNow.has('second')).toBe(true)
    storeNow.get('second')?.()
    expect(await first).toBe(200)
    expect(await second).toBe(200)
    expect(events).toEqual(['first handled', 'first stored', 'second handled', 'second stored'])
    // The bytes were whole while the handler read them, and freed once stored.
    expect(stored.get('first')?.before).toBe(fileA)
    expect(stored.get('first')?.after.every((length) => length === 0)).toBe(true)
  })

  it('gives the budget back for a request refused after parsing, or by its handler', async () => {
    events.length = 0
    // 422 after the body is parsed: agent_id is missing.
    const missing = post([
      { name: 'text_prompt', value: 'missing' },
      { name: 'files', filename: 'a.txt', value: 'c'.repeat(FILE_BYTES) },
    ])
    expect(await missing).toBe(422)
    expect(await upload('refused', 'd'.repeat(FILE_BYTES))).toBe(409)
    // Had either kept its share, this one would wait for ever behind it.
    const next = upload('after', 'e'.repeat(FILE_BYTES))
    await expect.poll(() => storeNow.has('after')).toBe(true)
    storeNow.get('after')?.()
    expect(await next).toBe(200)
  })
})

describe('an upload from a Request built by its caller', () => {
  it('never frees the caller’s bytes', async () => {
    const validator = createOpenApiValidator(openapiDocument, limits)
    let seen = 0
    const app = new Hono().post(
      '/sessions/text',
      validator.for('create_session_from_text'),
      (c) => {
        const form = c.req.valid('form')
        for (const file of form.files) file.stored?.()
        seen = form.files[0]?.size ?? 0
        return c.json({ ok: true })
      },
    )
    const body = multipartBody([
      { name: 'agent_id', value: 'echo' },
      { name: 'text_prompt', value: 'hi' },
      { name: 'files', filename: 'a.txt', value: 'f'.repeat(FILE_BYTES) },
    ])
    const length = body.byteLength
    const response = await app.request('/sessions/text', {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
      body,
    })
    expect(response.status).toBe(200)
    expect(seen).toBe(FILE_BYTES)
    expect(body.byteLength).toBe(length)
  })
})
