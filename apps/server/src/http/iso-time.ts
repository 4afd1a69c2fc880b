/**
 * `Date#toISOString` for the times the wire shows by the thousand (a long session's messages):
 * the same text, made in JavaScript from the day's part, which consecutive messages share, and
 * the time of day. `toISOString` costs ~0.45 µs a call, as much as the rest of a message's wire
 * object; this, ~0.1 µs.
 */

const DAY_MS = 86_400_000
/** 10000-01-01: from there on (and before 1970), `toISOString` itself. */
const END_MS = 253_402_300_800_000

let cachedDay = Number.NaN
let cachedPrefix = ''

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`)

/**
 * The time as `toISOString` writes it (and throws for an invalid date, as it does).
 *
 * @example
 * ```ts
 * isoTime(new Date(Date.UTC(2026, 11, 3, 6, 5, 4, 3))) // '2026-12-03T06:05:04.003Z'
 * ```
 */
export function isoTime(date: Date): string {
  const ms = date.getTime()
  if (!(ms >= 0 && ms < END_MS)) return date.toISOString()
  const day = Math.floor(ms / DAY_MS)
  if (day !== cachedDay) {
    cachedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
    cachedDay = day
  }
  let rest = ms - day * DAY_MS
  const millis = rest % 1000
  rest = (rest - millis) / 1000
  const seconds = rest % 60
  rest = (rest - seconds) / 60
  const minutes = rest % 60
  const hours = (rest - minutes) / 60
  return `${cachedPrefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(millis)}Z`
}
