/**
 * An upload cut off by its client, or refused while it streams in, leaves nothing in the store
 * and gives its share of the upload budget back: the uploads after it are stored whole.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultConfig } from '../src/config/config.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { BOUNDARY, multipartBody } from './support/validation-app.ts'
import { createTestApp } from './test-app.ts'

const MiB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'uxmate-upload-abort-'))
const path = join(dir, 'store.sqlite')
let store: SessionStore
let server: ReturnType<typeof serve>
let port = 0

beforeAll(async () => {
  store = openSqliteStore(path)
  await store.migrate()
  const { app } = await createTestApp({
    store,
    // Less than two uploads: a share kept by a broken one would hold the next back for ever.
    config: {
      limits: { ...defaultConfig.limits, uploadBufferBytes: 3 * MiB, maxFileBytes: 2 * MiB },
    },
  })
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
  })
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const form = (prompt: string, fileBytes: number) =>
  multipartBody([
    { name: 'agent_id', value: 'echo' },
    { name: 'text_prompt', value: prompt },
    { name: 'files', filename: 'a.bin', value: new Uint8Array(fileBytes).fill(9) },
  ])

/** Sends `body`, the first `cutAt` bytes of it only when given (then the socket is destroyed). */
function send(body: Uint8Array, cutAt?: number): Promise<number | 'cut'> {
  return new Promise((resolve) => {
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/sessions/text',
      agent: false,
      headers: {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        'Content-Length': String(body.byteLength),
      },
    })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve('cut'))
    if (cutAt === undefined) {
      req.end(body)
      return
    }
    req.write(body.subarray(0, cutAt), () => {
      // Once the bytes are on their way: the server is reading this body when it breaks off.
      setImmediate(() => req.destroy())
    })
  })
}

/** Files stored, their bytes, and chunk rows of no file (orphans). */
function counts(): { files: number; bytes: number; orphans: number } {
  const db = new Database(path, { readonly: true })
  try {
    const files = db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }
    const chunks = db
      .prepare('SELECT coalesce(sum(length(data)), 0) AS bytes FROM file_chunks')
      .get() as { bytes: number }
    const orphans = db
      .prepare('SELECT count(*) AS n FROM file_chunks WHERE file_id NOT IN (SELECT id FROM files)')
      .get() as { n: number }
    return { files: files.n, bytes: chunks.bytes, orphans: orphans.n }
  } finally {
    db.close()
  }
}

describe('uploads cut off or refused on the way in', () => {
  it('store nothing, and leave the budget to the uploads after them', async () => {
    const big = form('cut off', 2 * MiB)
    expect(await send(big, MiB)).toBe('cut')
    expect(await send(big, MiB)).toBe('cut')
    // Over the file limit while it streams: 413 (Content-Length says less than the request's).
    expect(await send(form('too big', 2 * MiB + 1))).toBe(413)
    expect(counts()).toEqual({ files: 0, bytes: 0, orphans: 0 })
    const whole = await Promise.all([send(form('one', 2 * MiB)), send(form('two', 2 * MiB))])
    expect(whole).toEqual([200, 200])
    expect(counts()).toEqual({ files: 2, bytes: 4 * MiB, orphans: 0 })
  })
})
