/**
 * JSON request bodies: read within the size limit, decoded as strict UTF-8, parsed, and any
 * failure reported as FastAPI's `json_invalid`.
 */

import type { ValidationIssue } from '../errors/fastapi-errors.ts'
import {
  describeJsonError,
  describeUtf8Error,
  type JsonDecodeError,
} from '../errors/json-decode-error.ts'
import { invalidBody } from '../errors/request-rejection.ts'
import { readBody } from './body-stream.ts'

/**
 * How deep arrays and objects may nest in a JSON body: pydantic's JSON parser stops at the same
 * depth. Deeper documents are refused before parsing, so nothing later (validation, the 422's
 * echo of the input, idempotency fingerprints) can run out of stack on one.
 */
export const MAX_JSON_DEPTH = 200

/**
 * Where `text` first nests deeper than `maxDepth`, or `undefined`. Brackets inside strings do
 * not count. One pass, no recursion, whatever the input.
 *
 * @example
 * ```ts
 * tooDeepAt('[[1]]', 1) // 1
 * tooDeepAt('{"a":"[[["}', 1) // undefined
 * ```
 */
export function tooDeepAt(text: string, maxDepth: number): number | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c)
        i++ // a backslash escapes the next character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) {
      depth++
      if (depth > maxDepth) return i
    } else if (char === 0x5d || char === 0x7d) depth--
  }
  return undefined
}

/** A body that was sent (and parsed), or none at all: FastAPI treats an empty body as missing. */
export type JsonBody = { present: false } | { present: true; value: unknown }

/** FastAPI's entry for a body it could not decode. */
export function jsonInvalidIssue(error: JsonDecodeError): ValidationIssue {
  return {
    type: 'json_invalid',
    loc: ['body', error.position],
    msg: 'JSON decode error',
    input: {},
    ctx: { error: error.message },
  }
}

/**
 * Reads and parses a JSON body of at most `maxBytes`. Throws a {@link RequestRejection}: 413
 * past the limit, 422 `json_invalid` for bytes that are not UTF-8 or text that is not JSON.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(c.req.raw, limits.maxJsonBytes)
 * if (body.present) console.log(body.value)
 * ```
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const bytes = await readBody(request, maxBytes)
  if (bytes.byteLength === 0) return { present: false }
  let text: string
  try {
    // `fatal` refuses invalid UTF-8 instead of replacing it; a leading BOM is dropped, as
    // Python's json.loads does for bytes.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    const error = describeUtf8Error(bytes) ?? { message: 'invalid UTF-8', position: 0 }
    throw invalidBody(jsonInvalidIssue(error))
  }
  const deep = tooDeepAt(text, MAX_JSON_DEPTH)
  if (deep !== undefined)
    throw invalidBody(
      // Positions count code points, as Python does.
      jsonInvalidIssue({
        message: 'recursion limit exceeded',
        position: [...text.slice(0, deep)].length,
      }),
    )
  try {
    return { present: true, value: JSON.parse(text) }
  } catch {
    throw invalidBody(jsonInvalidIssue(describeJsonError(text)))
  }
}
