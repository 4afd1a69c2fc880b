/**
 * Where and why a JSON text is malformed, as Python's `json` module (which FastAPI uses) reports
 * it: FastAPI answers `{"type": "json_invalid", "loc": ["body", pos], "ctx": {"error": msg}}`
 * with Python's message and character position. V8's `JSON.parse` messages differ and do not
 * always carry a position, so this scanner re-reads the text once `JSON.parse` has failed.
 * It is iterative: a body of a million `[` cannot overflow the stack.
 */

/** Python's `JSONDecodeError.msg` and `.pos` (in code points, as Python counts). */
export interface JsonDecodeError {
  message: string
  position: number
}

class DecodeFailure extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't'])

function skipSpace(text: string, index: number): number {
  let i = index
  while (i < text.length) {
    const c = text[i]
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') break
    i += 1
  }
  return i
}

/** Scans a string whose opening quote is at `start - 1`; returns the index after its end. */
function scanString(text: string, start: number): number {
  let i = start
  for (;;) {
    if (i >= text.length) throw new DecodeFailure('Unterminated string starting at', start - 1)
    const code = text.charCodeAt(i)
    if (code === 0x22) return i + 1
    if (code < 0x20) throw new DecodeFailure('Invalid control character at', i)
    if (code !== 0x5c) {
      i += 1
      continue
    }
    const escaped = text[i + 1]
    if (escaped === undefined) throw new DecodeFailure('Unterminated string starting at', start - 1)
    if (escaped === 'u') {
      if (i + 6 >= text.length || !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        throw new DecodeFailure('Invalid \\uXXXX escape', i + 1)
      }
      i += 6
    } else if (ESCAPES.has(escaped)) {
      i += 2
    } else {
      throw new DecodeFailure('Invalid \\escape', i)
    }
  }
}

/** After `{` or `,` in an object: a key and its colon; returns where the value starts. */
function scanKey(text: string, index: number): number {
  if (text[index] !== '"') {
    throw new DecodeFailure('Expecting property name enclosed in double quotes', index)
  }
  const colon = skipSpace(text, scanString(text, index + 1))
  if (text[colon] !== ':') throw new DecodeFailure("Expecting ':' delimiter", colon)
  return skipSpace(text, colon + 1)
}

function scan(text: string): void {
  const stack: Array<'array' | 'object'> = []
  let i = skipSpace(text, 0)
  for (;;) {
    // A value starts at i.
    const c = text[i]
    if (c === '{') {
      const next = skipSpace(text, i + 1)
      if (text[next] === '}') {
        i = next + 1
      } else {
        stack.push('object')
        i = scanKey(text, next)
        continue
      }
    } else if (c === '[') {
      const next = skipSpace(text, i + 1)
      if (text[next] === ']') {
        i = next + 1
      } else {
        stack.push('array')
        i = next
        continue
      }
    } else if (c === '"') {
      i = scanString(text, i + 1)
    } else if (text.startsWith('null', i) || text.startsWith('true', i)) {
      i += 4
    } else if (text.startsWith('false', i)) {
      i += 5
    } else {
      NUMBER.lastIndex = i
      if (!NUMBER.test(text)) throw new DecodeFailure('Expecting value', i)
      i = NUMBER.lastIndex
    }
    // A value ended at i: close containers, or move to the next member.
    for (;;) {
      const container = stack[stack.length - 1]
      const next = skipSpace(text, i)
      if (container === undefined) {
        if (next !== text.length) throw new DecodeFailure('Extra data', next)
        return
      }
      const close = container === 'array' ? ']' : '}'
      if (text[next] === close) {
        stack.pop()
        i = next + 1
        continue
      }
      if (text[next] !== ',') throw new DecodeFailure("Expecting ',' delimiter", next)
      const member = skipSpace(text, next + 1)
      i = container === 'array' ? member : scanKey(text, member)
      break
    }
  }
}

/** Python counts characters in code points; JavaScript indexes UTF-16 code units. */
function codePointIndex(text: string, index: number): number {
  let count = 0
  for (let i = 0; i < index; i += 1) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < index) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) i += 1
    }
    count += 1
  }
  return count
}

/**
 * Python's verdict on a text that `JSON.parse` rejected. NaN and Infinity, which Python accepts
 * but JSON does not, are reported as "Expecting value".
 *
 * @example
 * ```ts
 * describeJsonError('{"a": }') // { message: 'Expecting value', position: 6 }
 * ```
 */
export function describeJsonError(text: string): JsonDecodeError {
  try {
    scan(text)
  } catch (error) {
    if (error instanceof DecodeFailure) {
      return { message: error.message, position: codePointIndex(text, error.index) }
    }
    throw error
  }
  // The scanner accepted what JSON.parse refused: should not happen; report the start.
  return { message: 'Expecting value', position: 0 }
}

/** How many bytes a UTF-8 sequence starting with `lead` has; 0 when `lead` cannot start one. */
function utf8Width(lead: number): number {
  if (lead < 0x80) return 1
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

/**
 * The first byte that is not valid UTF-8, described as Python's decoder would (FastAPI itself
 * would answer 400 there; this service answers `json_invalid` like any other malformed body).
 * `position` counts the characters decoded before that byte.
 *
 * @example
 * ```ts
 * describeUtf8Error(new Uint8Array([0x7b, 0xff]))
 * // { message: "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte", position: 1 }
 * ```
 */
export function describeUtf8Error(bytes: Uint8Array): JsonDecodeError | undefined {
  let chars = 0
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0
    const width = utf8Width(lead)
    const fail = (reason: string): JsonDecodeError => ({
      message: `'utf-8' codec can't decode byte 0x${lead.toString(16).padStart(2, '0')} in position ${i}: ${reason}`,
      position: chars,
    })
    if (width === 0) return fail('invalid start byte')
    for (let k = 1; k < width; k += 1) {
      const next = bytes[i + k]
      if (next === undefined) {
        // Python names the whole cut-off sequence when it is longer than one byte.
        if (bytes.length - 1 === i) return fail('unexpected end of data')
        const message = `'utf-8' codec can't decode bytes in position ${i}-${bytes.length - 1}: unexpected end of data`
        return { message, position: chars }
      }
      // The second byte's range is narrower after E0, ED, F0 and F4 (no overlongs, surrogates or
      // code points past U+10FFFF).
      const low = k === 1 ? (lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80) : 0x80
      const high = k === 1 ? (lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf) : 0xbf
      if (next < low || next > high) return fail('invalid continuation byte')
    }
    i += width
    chars += 1
  }
  return undefined
}
