/**
 * The body of a `text/event-stream` answer, made for fan-out: one run's events go to every
 * stream that follows it, so a write must cost next to nothing and never wait.
 */
import { ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'

/** One open event stream: write bytes to it, end it; it tells when it is over. */
export interface EventStream {
  /** The answer's body. */
  readonly body: ReadableStream<Uint8Array>
  /** Sends `bytes` after what was sent before; ignored once the stream is over. */
  write(bytes: Uint8Array): void
  /** Sends several pieces at once, in order; ignored once the stream is over. */
  writeAll(pieces: Uint8Array[]): void
  /** Ends the stream once what was written has gone out. */
  end(): void
  /** Whether the stream ended or its client went away: writes are ignored. */
  readonly over: boolean
}

const keepAliveComment = new TextEncoder().encode(': keep-alive\n\n')

const crlf = Buffer.from('\r\n')

/** Pieces as one HTTP/1.1 chunk; a lone piece's chunk is kept, as every stream sends it. */
const chunks = new WeakMap<Uint8Array, Buffer>()
function asChunk(pieces: Uint8Array[]): Buffer {
  const frame = (size: number) => Buffer.from(`${size.toString(16)}\r\n`, 'latin1')
  const [only] = pieces
  if (pieces.length === 1 && only) {
    let chunk = chunks.get(only)
    if (!chunk) {
      chunk = Buffer.concat([frame(only.byteLength), only, crlf])
      chunks.set(only, chunk)
    }
    return chunk
  }
  const size = pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
  return Buffer.concat([frame(size), ...pieces, crlf])
}

/** Where direct writes go, and what tells when a full socket drained. */
interface DirectSink {
  /** False when the socket is full: wait for `drain` on `emitter`. */
  write(pieces: Uint8Array[]): boolean
  emitter: Writable
}

/**
 * The socket itself, when the response is chunked and holds nothing of its own (so a chunk
 * written to the socket lands where the response's next one would), each write framed here:
 * `response.write` frames, corks and schedules an uncork on every call, ~18% more server CPU
 * per delivery with 1,000 streams. Otherwise (not chunked: an HTTP/1.0 client) the response.
 */
function directSink(response: ServerResponse): DirectSink {
  const socket = response.socket
  if (socket && response.chunkedEncoding && response.writableLength === socket.writableLength)
    return { emitter: socket, write: (pieces) => socket.write(asChunk(pieces)) }
  return {
    emitter: response,
    write: (pieces) =>
      response.write(pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces)),
  }
}

/** Called as an event stream opens; returns what to call once it is over. */
export type StreamWatch = () => () => void

/**
 * An event stream whose body is a Web `ReadableStream`, as Hono answers, and which writes
 * straight to Node's response once it can.
 *
 * Served by `@hono/node-server`, the answer's head is written from the returned `Response`
 * (so every middleware's headers are on it), then the body is read a chunk at a time and each
 * chunk written to `outgoing`: promises, queues and a read per chunk. With a loop and Hono's
 * `streamSSE` per stream that came to ~26 µs of CPU per event and stream, against ~7 µs for a
 * write straight to the socket (1,000 streams at 50 events a second: more than a core, against
 * a third of one). So once the head is out and the body has been read to its end, bytes go
 * straight to `outgoing` (a write returning at once) and the body only ends the answer. The
 * reader asks for more (`pull`, with no queue in between) only after it wrote what it was
 * given, so nothing written directly overtakes what went through the body. Writes of one tick
 * go out as one, at its end: a run that fell behind catches up with one write per stream, not
 * one per event. While the socket is full (a slow client), what follows is kept and written in
 * one piece when it drains.
 *
 * Without a Node response (`app.request()`, other runtimes) every write goes through the body,
 * one event a chunk as a Web client reads it.
 *
 * `keepAliveMs` after the last write a comment goes out (proxies close quiet connections);
 * `onOver` is called once, when the stream ends or its client goes away, to stop feeding it.
 *
 * @example
 * ```ts
 * const stream = createEventStream({ outgoing: c.env?.outgoing, keepAliveMs: 15_000, onOver })
 * stream.write(new TextEncoder().encode('event: status\ndata: {}\nid: 1\n\n'))
 * return c.body(stream.body, 200, { 'Content-Type': 'text/event-stream' })
 * ```
 */
export function createEventStream(options: {
  /** `@hono/node-server`'s `c.env.outgoing`, when it serves the request. */
  outgoing: unknown
  keepAliveMs: number
  onOver: () => void
  /** Told the stream is open (metrics); what it returns is called once the stream is over. */
  watch?: StreamWatch
}): EventStream {
  const closed = options.watch?.()
  const response = options.outgoing instanceof ServerResponse ? options.outgoing : undefined
  let controller!: ReadableStreamDefaultController<Uint8Array>
  /** Set once the head is out and the body drained: writes go to Node's response. */
  let direct: DirectSink | undefined
  /**
   * Direct mode: bytes not yet handed to `outgoing`, written together at the end of the tick
   * (a run that fell behind publishes several events in one go) or when a full socket drains.
   */
  let held: Uint8Array[] | undefined
  let draining = false
  let over = false
  let bodyClosed = false
  let lastWriteAt = performance.now()

  const closeBody = () => {
    if (bodyClosed) return
    bodyClosed = true
    controller.close()
  }

  const stop = () => {
    if (over) return
    over = true
    clearTimeout(keepAlive)
    closed?.()
    options.onOver()
  }

  const release = () => {
    if (held && direct && !draining && !bodyClosed) {
      const pieces = held
      held = undefined
      if (!direct.write(pieces)) {
        // Taken, but the socket is full (a slow client): hold what follows until it drains.
        draining = true
        direct.emitter.once('drain', drained)
      }
    }
    if (over && !held && !draining) closeBody()
  }
  const drained = () => {
    draining = false
    release()
  }

  const send = (bytes: Uint8Array) => {
    lastWriteAt = performance.now()
    if (!direct) controller.enqueue(bytes)
    else if (held) held.push(bytes)
    else {
      held = [bytes]
      if (!draining) process.nextTick(release)
    }
  }

  // One timer a stream, set again only when it fires: a write just notes the time.
  const beat = () => {
    const quiet = performance.now() - lastWriteAt
    if (quiet < options.keepAliveMs) {
      keepAlive = setTimeout(beat, options.keepAliveMs - quiet)
      return
    }
    send(keepAliveComment)
    keepAlive = setTimeout(beat, options.keepAliveMs)
  }
  let keepAlive = setTimeout(beat, options.keepAliveMs)

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        // The reader wants more and the queue is empty: it wrote all it was given.
        if (response?.headersSent && !direct && !over) direct = directSink(response)
      },
      cancel() {
        // The client went away (or the reader gave up): nothing more to write.
        held = undefined
        direct?.emitter.off('drain', drained)
        bodyClosed = true
        stop()
      },
    },
    // No read-ahead: `pull` is called only when a read waits on an empty queue.
    { highWaterMark: 0 },
  )

  return {
    body,
    get over() {
      return over
    },
    write(bytes) {
      if (!over) send(bytes)
    },
    writeAll(pieces) {
      if (over || pieces.length === 0) return
      // Chunks merge on a socket anyway: one write. A Web reader gets an event a read.
      if (response) send(pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces))
      else for (const piece of pieces) send(piece)
    },
    end() {
      if (over) return
      stop()
      if (!held && !draining) closeBody()
    },
  }
}
