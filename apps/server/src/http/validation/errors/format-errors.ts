/**
 * The `ctx.error` texts pydantic puts after "Input should be a valid UUID, ..." and friends. They
 * come from Rust crates (`uuid`, `speedate`); these functions reproduce their wording for the
 * common cases so that 422 bodies read like the original service's.
 */

const HEX = /^[0-9a-fA-F]$/
const GROUP_STARTS = [0, 9, 14, 19, 24] as const
const GROUP_LENGTHS = [8, 4, 4, 4, 12] as const

/**
 * The canonical lowercase form of a UUID written as openapi.yaml's `format: uuid` says (RFC 9562's
 * hyphenated 8-4-4-4-12 hex digits, any case), or `undefined` for anything else. pydantic also
 * takes braces, `urn:uuid:` and bare hex; the contract does not, so neither does the server.
 *
 * @example
 * ```ts
 * canonicalUuid('0F8A4F0E-6A8E-4C47-9A43-1F6A9E1C2B3D') // '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'
 * ```
 */
export function canonicalUuid(text: string): string | undefined {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)
    ? text.toLowerCase()
    : undefined
}

const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength

/**
 * Why `text` is not a UUID, in the words of the `uuid` crate pydantic uses, quirks included
 * (positions count UTF-8 bytes from 1; an input of a recognised length loses its braces or
 * `urn:uuid:` before the error is described).
 *
 * @example
 * ```ts
 * uuidError('abc') // 'invalid length: expected length 32 for simple format, found 3'
 * ```
 */
export function uuidError(text: string): string {
  let input = text
  const length = utf8Length(text)
  if (length === 38 && text.startsWith('{') && text.endsWith('}')) input = text.slice(1, -1)
  else if (length === 45 && text.startsWith('urn:uuid:')) input = text.slice(9)

  let body = input
  let offset = 0
  let simple = true
  if (input.length >= 2 && input.startsWith('{') && input.endsWith('}')) {
    body = input.slice(1, -1)
    offset = 1
    simple = false
  } else if (input.startsWith('urn:uuid:')) {
    body = input.slice(9)
    offset = 9
    simple = false
  }
  const hyphens: number[] = []
  let index = 0
  for (const char of body) {
    if (char === '-') hyphens.push(index)
    else if (!HEX.test(char)) return `invalid character: found \`${char}\` at ${index + offset + 1}`
    index += utf8Length(char)
  }
  const inputLength = utf8Length(input)
  if (hyphens.length === 0 && simple) {
    return `invalid length: expected length 32 for simple format, found ${inputLength}`
  }
  if (hyphens.length !== 4) return `invalid group count: expected 5, found ${hyphens.length + 1}`
  for (let group = 0; group < 4; group += 1) {
    const start = GROUP_STARTS[group] ?? 0
    const bound = hyphens[group] ?? 0
    if (bound !== (GROUP_STARTS[group + 1] ?? 0) - 1) {
      return `invalid group length in group ${group}: expected ${GROUP_LENGTHS[group]}, found ${bound - start}`
    }
  }
  return `invalid group length in group 4: expected 12, found ${inputLength - GROUP_STARTS[4]}`
}

/** Checks `text[at, at + length)` is ASCII digits. */
function digitsAt(text: string, at: number, length: number): boolean {
  return /^\d+$/.test(text.slice(at, at + length)) && text.length >= at + length
}

/**
 * Why `text` is not an RFC 3339 date, in `speedate`'s words (pydantic's date parser).
 *
 * @example
 * ```ts
 * dateError('2026-13-01') // 'month value is outside expected range of 1-12'
 * ```
 */
export function dateError(text: string): string {
  if (text.length < 10) return 'input is too short'
  if (!digitsAt(text, 0, 4)) return 'invalid character in year'
  if (text[4] !== '-') return 'invalid date separator, expected `-`'
  if (!digitsAt(text, 5, 2)) return 'invalid character in month'
  if (text[7] !== '-') return 'invalid date separator, expected `-`'
  if (!digitsAt(text, 8, 2)) return 'invalid character in day'
  const month = Number(text.slice(5, 7))
  if (month < 1 || month > 12) return 'month value is outside expected range of 1-12'
  const day = Number(text.slice(8, 10))
  const year = Number(text.slice(0, 4))
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day < 1 || day > lastDay) return 'day value is outside expected range'
  if (text.length > 10) return 'unexpected extra characters at the end of the input'
  return 'invalid date'
}

/**
 * Why `text` is not a date-time. pydantic falls back to reading a date, so once the date part
 * is sound its complaint is about what follows it; past that, pydantic would have accepted a
 * date-time without time zone that JSON Schema's `date-time` refuses, which is said plainly.
 *
 * @example
 * ```ts
 * dateTimeError('yesterday') // 'input is too short'
 * ```
 */
export function dateTimeError(text: string): string {
  const date = dateError(text)
  if (date !== 'unexpected extra characters at the end of the input' || text.length < 11) {
    return date === 'invalid date' ? 'a time and a time zone offset are required' : date
  }
  return timeError(text.slice(11)) === 'missing timezone' ? 'a time zone offset is required' : date
}

/**
 * Why `text` is not an RFC 3339 time, in `speedate`'s words (pydantic's time parser).
 *
 * @example
 * ```ts
 * timeError('25:00:00Z') // 'hour value is outside expected range of 0-23'
 * ```
 */
export function timeError(text: string): string {
  if (text.length < 5) return 'input is too short'
  if (!digitsAt(text, 0, 2)) return 'invalid character in hour'
  if (Number(text.slice(0, 2)) > 23) return 'hour value is outside expected range of 0-23'
  if (text[2] !== ':') return 'invalid time separator, expected `:`'
  if (!digitsAt(text, 3, 2)) return 'invalid character in minute'
  if (Number(text.slice(3, 5)) > 59) return 'minute value is outside expected range of 0-59'
  let rest = text.slice(5)
  if (rest.startsWith(':')) {
    if (!digitsAt(rest, 1, 2)) return 'invalid character in second'
    if (Number(rest.slice(1, 3)) > 59) return 'second value is outside expected range of 0-59'
    rest = rest.slice(3).replace(/^[.,]\d+/, '')
  }
  if (rest === '') return 'missing timezone'
  if (/^[zZ]$/.test(rest) || /^[+-]\d\d:?\d\d$/.test(rest)) return 'invalid time'
  if (!/^[-+zZ]/.test(rest)) return 'invalid timezone sign'
  return 'unexpected extra characters at the end of the input'
}
