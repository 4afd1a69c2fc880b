import type { SessionHeader } from './session-store.ts'

// Building a formatter costs ~80 µs, formatting a date ~1 µs: keep one per zone as spelled
// (IANA has a few hundred zones; the bound stops case variants from growing it without end) and
// take `format`'s stable en-US "MM/DD/YYYY" string rather than the slower formatToParts.
const formatters = new Map<string, Intl.DateTimeFormat>()
const MAX_CACHED_ZONES = 1000

function formatterFor(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear()
    formatters.set(zone, format)
  }
  return format
}

/** Is `zone` an IANA time zone this runtime knows? */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatterFor(zone)
    return true
  } catch {
    return false
  }
}

interface LocalDay {
  day: number
  month: string
}

/** The calendar date of `instant` in `zone`, as days since the epoch, plus its month label. */
function formatDay(instant: number, format: Intl.DateTimeFormat): LocalDay {
  const [month = '', day = '', year = ''] = format.format(instant).split('/')
  return {
    day: Date.UTC(Number(year), Number(month) - 1, Number(day)) / 86_400_000,
    month: `${year}-${month}`,
  }
}

// Measured (issue 21): formatting was ~9% of an uncached grouped read, which buckets the same
// newest sessions again after every write. Since 1973 every zone's offset from UTC, and every
// instant it changes at, is a whole number of quarter hours, so all of a UTC quarter hour is
// one local date: dates are kept by zone and quarter hour (at most MAX_KEPT_DAYS in all).
const QUARTER_HOUR_MS = 15 * 60_000
const ALIGNED_SINCE_MS = Date.UTC(1973, 0, 1)
const MAX_KEPT_DAYS = 20_000
const keptDays = new Map<Intl.DateTimeFormat, Map<number, LocalDay>>()
let keptCount = 0

function localDay(instant: Date, format: Intl.DateTimeFormat): LocalDay {
  const ms = instant.getTime()
  if (!(ms >= ALIGNED_SINCE_MS)) return formatDay(ms, format)
  const quarter = Math.floor(ms / QUARTER_HOUR_MS)
  let kept = keptDays.get(format)
  const found = kept?.get(quarter)
  if (found) return found
  const day = formatDay(ms, format)
  if (keptCount >= MAX_KEPT_DAYS) {
    keptDays.clear()
    keptCount = 0
    kept = undefined
  }
  if (!kept) {
    kept = new Map()
    keptDays.set(format, kept)
  }
  kept.set(quarter, day)
  keptCount += 1
  return day
}

/**
 * The calendar day of `instant` in `zone` (a known zone), as days since the epoch.
 *
 * @example
 * ```ts
 * dayIn(new Date('2026-11-26T23:30:00Z'), 'Europe/Paris') // 20784: 27 November there
 * ```
 */
export function dayIn(instant: Date, zone: string): number {
  return localDay(instant, formatterFor(zone)).day
}

function bucketOf(daysAgo: number, month: string): string {
  if (daysAgo <= 0) return 'Today'
  if (daysAgo === 1) return 'Yesterday'
  if (daysAgo <= 7) return 'Previous 7 Days'
  if (daysAgo <= 30) return 'Previous 30 Days'
  return month
}

/** A day in a time zone, as {@link dayIn} gives it: what grouped sessions are good for. */
export interface CalendarDay {
  zone: string
  day: number
}

/**
 * Groups sessions (newest first) into the sidebar's buckets, by calendar days in `zone`:
 * `Today`, `Yesterday`, `Previous 7 Days`, `Previous 30 Days`, then `YYYY-MM` months. Because
 * the input is newest first, buckets come out in that order and each keeps newest first.
 *
 * @example
 * ```ts
 * groupByRecency(sessions, new Date(), 'Europe/Paris') // Map { 'Today' => [...], '2026-10' => [...] }
 * ```
 */
export function groupByRecency<T extends Pick<SessionHeader, 'updatedAt'>>(
  sessions: T[],
  now: Date,
  zone: string,
): Map<string, T[]> {
  const format = formatterFor(zone)
  const today = localDay(now, format).day
  const groups = new Map<string, T[]>()
  for (const session of sessions) {
    const { day, month } = localDay(session.updatedAt, format)
    const bucket = bucketOf(today - day, month)
    const list = groups.get(bucket) ?? []
    list.push(session)
    groups.set(bucket, list)
  }
  return groups
}
