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

/** The calendar date of `instant` in `zone`, as days since the epoch, plus its month label. */
function localDay(instant: Date, format: Intl.DateTimeFormat): { day: number; month: string } {
  const [month = '', day = '', year = ''] = format.format(instant).split('/')
  return {
    day: Date.UTC(Number(year), Number(month) - 1, Number(day)) / 86_400_000,
    month: `${year}-${month}`,
  }
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
