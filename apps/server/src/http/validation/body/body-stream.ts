/**
 * Reading a request body with a byte budget. The budget is enforced on the bytes as they
 * arrive, not on `Content-Length` (which may be absent or lie), and reading stops as soon as it
 * is exceeded, so an oversized body is never buffered whole.
 */
import type { IncomingMessage } from 'node:http'
import { valueErrorIssue } from '../errors/fastapi-errors.ts'
import { bodyTooLarge, invalidBody, type RequestRejection } from '../errors/request-rejection.ts'

/**
 * The declared `Content-Length`, when it is a plain decimal number.
 *
 * @example
 * ```ts
 * if ((declaredLength(request.headers) ?? 0) > max) throw bodyTooLarge(max)
 * ```
 */
export function declaredLength(headers: Headers): number | undefined {
  const value = headers.get('content-length')?.trim()
  return value && /^\d+$/.test(value) ? Number(value) : undefined
}

/** Stops a body that will not be read further; a failure to cancel changes nothing. */
export function discard(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  reader.cancel().catch(() => undefined)
}

/** A body's bytes as they arrive, and a way to stop reading them. */
export interface BodyChunks {
  /** The next bytes; `undefined` at the end. Throws when the stream broke off. */
  next(): Promise<Uint8Array | undefined>
  /** Stops a body that will not be read further. */
  stop(): void
  /**
   * Whether the chunks are the request's own, read from Node's request: nothing else holds
   * them, so they may be freed once used (see held-upload.ts). A `Request`'s stream may hand
   * over a caller's own bytes.
   */
  readonly own: boolean
}

/**
 * The bytes of a body as they arrive: straight from Node's request when the request came
 * through Node's HTTP server and nothing read its body yet, else from the `Request`'s stream.
 * Node's Web stream adapter copies every chunk (to detach it from the socket's memory), so
 * reading through it left the socket's chunks behind as garbage, as many bytes again as the
 * body (~24 MiB of an upload's peak); a stream's own chunks are never reused, so the bytes are
 * kept as they came.
 *
 * @example
 * ```ts
 * const body = bodyChunks(c.req.raw, c.env?.incoming)
 * for (let bytes = await body.next(); bytes; bytes = await body.next()) parser.write(bytes)
 * ```
 */
export function bodyChunks(request: Request, incoming?: IncomingMessage): BodyChunks {
  if (incoming && !incoming.readableDidRead && !incoming.destroyed) {
    const chunks = incoming[Symbol.asyncIterator]()
    return {
      next: async () => {
        const chunk = await chunks.next()
        return chunk.done ? undefined : (chunk.value as Buffer)
      },
      stop: () => {
        chunks.return?.().catch(() => undefined)
      },
      own: true,
    }
  }
  const reader = request.body?.getReader()
  return {
    next: async () => {
      const chunk = await reader?.read()
      return chunk === undefined || chunk.done ? undefined : chunk.value
    },
    stop: () => {
      if (reader) discard(reader)
    },
    own: false,
  }
}

/**
 * A stream that broke off (the client went away). FastAPI answers 400 here; every operation of
 * openapi.yaml documents 422 for a body it cannot decode, so that is the answer.
 */
export function unreadableBody(): RequestRejection {
  return invalidBody(valueErrorIssue(['body'], 'There was an error parsing the body', null))
}

/**
 * Reads the whole body, failing with 413 as soon as it passes `maxBytes`.
 *
 * @example
 * ```ts
 * const bytes = await readBody(c.req.raw, limits.maxJsonBytes) // throws RequestRejection (413)
 * ```
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  if ((declaredLength(request.headers) ?? 0) > maxBytes) throw bodyTooLarge(maxBytes)
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      throw unreadableBody()
    }
    if (chunk.done) break
    total += chunk.value.byteLength
    if (total > maxBytes) {
      discard(reader)
      throw bodyTooLarge(maxBytes)
    }
    chunks.push(chunk.value)
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
