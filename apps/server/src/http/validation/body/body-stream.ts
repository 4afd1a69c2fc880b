/**
 * Reading a request body with a byte budget. The budget is enforced on the bytes as they
 * arrive, not on `Content-Length` (which may be absent or lie), and reading stops as soon as it
 * is exceeded, so an oversized body is never buffered whole.
 */
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
