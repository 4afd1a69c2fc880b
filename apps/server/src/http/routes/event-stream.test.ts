import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEventStream, type EventStream } from './event-stream.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

/** Reads a Web body a chunk at a time. */
async function readChunks(body: ReadableStream<Uint8Array>, count = Number.POSITIVE_INFINITY) {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  while (chunks.length < count) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
  }
  return { chunks, reader }
}

describe('createEventStream without a Node response', () => {
  it('sends every write as its own chunk, in order, and ends', async () => {
    const onOver = vi.fn()
    const stream = createEventStream({ outgoing: undefined, keepAliveMs: 60_000, onOver })
    stream.write(bytes('a'))
    stream.writeAll([bytes('b'), bytes('c')])
    stream.end()
    stream.write(bytes('too late'))
    const { chunks } = await readChunks(stream.body)
    expect(chunks.map((chunk) => Buffer.from(chunk).toString())).toEqual(['a', 'b', 'c'])
    expect(stream.over).toBe(true)
    expect(onOver).toHaveBeenCalledTimes(1)
  })

  it('stops when its reader cancels: onOver once, later writes ignored', async () => {
    const onOver = vi.fn()
    const stream = createEventStream({ outgoing: undefined, keepAliveMs: 60_000, onOver })
    stream.write(bytes('a'))
    const { reader } = await readChunks(stream.body, 1)
    await reader.cancel()
    expect(onOver).toHaveBeenCalledTimes(1)
    expect(stream.over).toBe(true)
    stream.write(bytes('b'))
    stream.end()
    expect(onOver).toHaveBeenCalledTimes(1)
  })

  it('sends a keep-alive comment only after keepAliveMs without a write', async () => {
    const stream = createEventStream({ outgoing: undefined, keepAliveMs: 30, onOver: () => {} })
    const reader = stream.body.getReader()
    // Writes more often than keepAliveMs: no comment in between.
    for (let i = 0; i < 4; i++) {
      stream.write(bytes(`${i}`))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const seen: string[] = []
    while (!seen.includes(': keep-alive\n\n')) {
      const { value } = await reader.read()
      seen.push(Buffer.from(value as Uint8Array).toString())
    }
    expect(seen).toEqual(['0', '1', '2', '3', ': keep-alive\n\n'])
    stream.end()
    await reader.cancel()
  })
})

describe('createEventStream served by @hono/node-server', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  /** A server whose one route opens an event stream and hands it to the test. */
  async function start(write: (stream: EventStream, outgoing: ServerResponse) => void) {
    let opened!: (value: { stream: EventStream; outgoing: ServerResponse }) => void
    const streams = new Promise<{ stream: EventStream; outgoing: ServerResponse }>((resolve) => {
      opened = resolve
    })
    const onOver = vi.fn()
    const app = new Hono<{ Bindings: { outgoing: ServerResponse } }>()
    // A header set after the route answered, as secure-headers does: it must be on the wire.
    app.use(async (c, next) => {
      await next()
      c.header('X-After', 'yes')
    })
    app.get('/events', (c) => {
      const stream = createEventStream({ outgoing: c.env.outgoing, keepAliveMs: 60_000, onOver })
      write(stream, c.env.outgoing)
      opened({ stream, outgoing: c.env.outgoing })
      return c.body(stream.body, 200, {
        'Content-Type': 'text/event-stream',
        'Transfer-Encoding': 'chunked',
      })
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    const { port } = server.address() as AddressInfo
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/events' }, resolve)
      req.on('error', reject)
      req.end()
    })
    return { response, onOver, ...(await streams) }
  }

  /** Collects the body as text until `until` is in it, or the stream ends. */
  const readUntil = (response: IncomingMessage, until?: string) =>
    new Promise<string>((resolve) => {
      let received = ''
      const onData = (chunk: Buffer) => {
        received += chunk.toString('utf8')
        if (until !== undefined && received.includes(until)) {
          response.off('data', onData)
          response.pause()
          resolve(received)
        }
      }
      response.on('data', onData)
      response.once('end', () => resolve(received))
      response.resume()
    })

  it('writes straight to the Node response once its head is out, a tick at a time, behind what came before', async () => {
    const { response, stream, outgoing } = await start((stream) => {
      stream.writeAll([bytes('one\n\n'), bytes('two\n\n')])
    })
    expect(response.headers['x-after']).toBe('yes')
    expect(await readUntil(response, 'two\n\n')).toBe('one\n\ntwo\n\n')
    const write = vi.spyOn(outgoing, 'write')
    stream.write(bytes('three\n\n'))
    stream.write(bytes('four\n\n'))
    // At the end of the tick, no Web stream in between any more: the tick's writes as one.
    await new Promise((resolve) => process.nextTick(resolve))
    expect(write).toHaveBeenCalledTimes(1)
    expect(Buffer.from(write.mock.calls[0]?.[0] as Uint8Array).toString()).toBe('three\n\nfour\n\n')
    stream.write(bytes('five\n\n'))
    stream.end()
    expect(await readUntil(response)).toBe('three\n\nfour\n\nfive\n\n')
  })

  it('holds writes while the socket is full and sends them all, in order, once it drains', async () => {
    const piece = (i: number) => bytes(`${String(i).padStart(6, '0')}${'x'.repeat(64 * 1024)}\n`)
    const { response, stream, outgoing } = await start(() => {})
    response.pause()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const write = vi.spyOn(outgoing, 'write')
    for (let i = 0; i < 200; i++) {
      stream.write(piece(i))
      // One write a tick, as a run publishes.
      await new Promise((resolve) => setImmediate(resolve))
    }
    stream.end()
    // The socket filled up: later pieces were held back and go out together.
    expect(write.mock.calls.length).toBeLessThan(200)
    const received = await readUntil(response)
    const lines = received.split('\n').filter((line) => line !== '')
    expect(lines.map((line) => Number(line.slice(0, 6)))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    )
  })

  it('stops when the client goes away: onOver once, later writes ignored', async () => {
    const { response, stream, onOver } = await start((stream) => stream.write(bytes('hi\n\n')))
    await readUntil(response, 'hi\n\n')
    response.destroy()
    await vi.waitFor(() => expect(onOver).toHaveBeenCalledTimes(1))
    expect(stream.over).toBe(true)
    stream.write(bytes('nobody\n\n'))
    stream.end()
    expect(onOver).toHaveBeenCalledTimes(1)
  })
})
