/**
 * Pieces of JSON text written by hand, each the very bytes `JSON.stringify` writes for the same
 * value: what the stores' JSON reads (`session-json.ts`) put together.
 */

// What JSON.stringify escapes in a string: quotes, backslashes, control characters and lone
// surrogates (text read from SQLite or PostgreSQL is valid UTF-8, so it has none, but the rule
// is its rule).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/**
 * `text` as the characters between the quotes of its JSON string: itself when nothing in it
 * needs escaping, which is most text (names, ids, replies), else what `JSON.stringify` writes
 * between its quotes. Measured (issue 21, callgrind): writing the quotes in the caller's
 * template, not around each value, left a list page's text ~5% fewer instructions (two string
 * joins and a rope node fewer a value, less to flatten).
 *
 * @example
 * ```ts
 * `"${jsonChars('Hi "there"')}"` // '"Hi \\"there\\""'
 * ```
 */
export function jsonChars(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text).slice(1, -1) : text
}

/** `text` as a JSON string, or `null`. */
export const jsonStringOrNull = (text: string | null): string =>
  text === null ? 'null' : `"${jsonChars(text)}"`

// Measured (issue 21): toISOString was ~10% of a list page built from rows (~0.4 µs a call,
// 175 a page). A page's times fall on a few days: each day's "YYYY-MM-DDT" is kept, the time
// of day is written from tables of padded digits.
const DAY_MS = 86_400_000
/** Year 10000: from there on, and before 1970, toISOString writes every time. */
const END_OF_YEAR_9999_MS = 253_402_300_800_000
const MAX_KEPT_DAYS = 4096
const keptDays = new Map<number, string>()
const pad = (width: number, count: number) =>
  Array.from({ length: count }, (_, n) => String(n).padStart(width, '0'))
const TWO_DIGITS = pad(2, 60)
const THREE_DIGITS = pad(3, 1000)

/**
 * An instant stored as milliseconds since the epoch, as the JSON string of its ISO 8601 form:
 * the very text of `JSON.stringify(new Date(ms))`, as the presenters write.
 *
 * @example
 * ```ts
 * jsonTime(0) // '"1970-01-01T00:00:00.000Z"'
 * ```
 */
export function jsonTime(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= 0 && ms < END_OF_YEAR_9999_MS))
    return `"${new Date(ms).toISOString()}"`
  const day = Math.floor(ms / DAY_MS)
  let date = keptDays.get(day)
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 11)
    if (keptDays.size >= MAX_KEPT_DAYS) keptDays.clear()
    keptDays.set(day, date)
  }
  let rest = ms - day * DAY_MS
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1000)
  return `"${date}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z"`
}
