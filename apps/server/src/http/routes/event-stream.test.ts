import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
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
  it('leaves no timer behind once over, ended or cancelled', async () => {
    vi.useFakeTimers()
    try {
      const ended = createEventStream({ outgoing: undefined, keepAliveMs: 1_000, onOver: () => {} })
      const cancelled = createEventStream({
        outgoing: undefined,
        keepAliveMs: 1_000,
        onOver: () => {},
      })
      expect(vi.getTimerCount()).toBe(2)
      ended.end()
      await cancelled.body.cancel()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('createEventStream served by @hono/node-server', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  /** A server whose one route opens an event stream and hands it to the test. */
  async function serveEvents(
    write: (stream: EventStream) => void,
    { chunked = true, keepAliveMs = 60_000 } = {},
  ) {
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
      const stream = createEventStream({ outgoing: c.env.outgoing, keepAliveMs, onOver })
      write(stream)
      opened({ stream, outgoing: c.env.outgoing })
      // As the events route answers; without it, Node chooses (not chunked for HTTP/1.0).
      const headers: Record<string, string> = { 'Content-Type': 'text/event-stream' }
      if (chunked) headers['Transfer-Encoding'] = 'chunked'
      return c.body(stream.body, 200, headers)
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    const { port } = server.address() as AddressInfo
    return { port, streams, onOver }
  }

  /** Opens the stream with Node's HTTP/1.1 client (a chunked answer). */
  async function start(write: (stream: EventStream) => void = () => {}) {
    const { port, streams, onOver } = await serveEvents(write)
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

  it('writes straight to the socket once the head is out, a tick at a time, behind what came before', async () => {
    const { response, stream, outgoing } = await start((stream) => {
      stream.writeAll([bytes('one\n\n'), bytes('two\n\n')])
    })
    expect(response.headers['x-after']).toBe('yes')
    expect(response.headers['transfer-encoding']).toBe('chunked')
    expect(await readUntil(response, 'two\n\n')).toBe('one\n\ntwo\n\n')
    const socketWrite = vi.spyOn(outgoing.socket as Socket, 'write')
    stream.write(bytes('three\n\n'))
    stream.write(bytes('four\n\n'))
    // At the end of the tick, as one HTTP chunk: no Web stream in between any more.
    await new Promise((resolve) => process.nextTick(resolve))
    expect(socketWrite).toHaveBeenCalledTimes(1)
    expect(Buffer.from(socketWrite.mock.calls[0]?.[0] as Uint8Array).toString()).toBe(
      'd\r\nthree\n\nfour\n\n\r\n',
    )
    stream.write(bytes('five\n\n'))
    stream.end()
    expect(await readUntil(response)).toBe('three\n\nfour\n\nfive\n\n')
  })

  it('leaves the connection reusable: the next request on it is answered', async () => {
    const { port } = await serveEvents((stream) => {
      // Once the head is out and the body read: the chunks go to the socket.
      setTimeout(() => {
        stream.write(bytes('late\n\n'))
        stream.end()
      }, 20)
    })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const get = () =>
      new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/events', agent }, (res) => {
          let body = ''
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString()
          })
          res.once('end', () => resolve({ body, reused: req.reusedSocket }))
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await get()).toEqual({ body: 'late\n\n', reused: false })
      expect(await get()).toEqual({ body: 'late\n\n', reused: true })
    } finally {
      agent.destroy()
    }
  })

  it('sends keep-alive comments on the socket while nothing is written', async () => {
    const { port, streams } = await serveEvents(() => {}, { keepAliveMs: 20 })
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/events' }, resolve).on('error', reject).end()
    })
    const received = await readUntil(response, ': keep-alive\n\n: keep-alive\n\n')
    // Comments only, each a whole SSE block.
    expect(received.replaceAll(': keep-alive\n\n', '')).toBe('')
    ;(await streams).stream.end()
  })

  it('writes through the response when it is not chunked (an HTTP/1.0 client)', async () => {
    const { port, streams } = await serveEvents((stream) => stream.write(bytes('one\n\n')), {
      chunked: false,
    })
    const socket = connect(port, '127.0.0.1')
    socket.write('GET /events HTTP/1.0\r\n\r\n')
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const { stream } = await streams
    await vi.waitFor(() => expect(received).toContain('one\n\n'))
    stream.write(bytes('two\n\n'))
    stream.end()
    await closed
    // No chunk sizes in the body: the connection's end ends it.
    expect(received.slice(received.indexOf('\r\n\r\n') + 4)).toBe('one\n\ntwo\n\n')
  })

  it('holds writes while the socket is full and sends them all, in order, once it drains', async () => {
    const piece = (i: number) => bytes(`${String(i).padStart(6, '0')}${'x'.repeat(64 * 1024)}\n`)
    const { response, stream, outgoing } = await start()
    response.pause()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const write = vi.spyOn(outgoing.socket as Socket, 'write')
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
