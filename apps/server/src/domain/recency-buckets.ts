import type { SessionHeader } from '../storage/session-store.ts'

/** Is `zone` an IANA time zone this runtime knows? */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The calendar date of `instant` in `zone`, as days since the epoch, plus its month label. */
function localDay(instant: Date, format: Intl.DateTimeFormat): { day: number; month: string } {
  const parts = Object.fromEntries(
    format.formatToParts(instant).map((part) => [part.type, part.value]),
  )
  const year = Number(parts.year)
  const month = Number(parts.month)
  const day = Number(parts.day)
  return {
    day: Date.UTC(year, month - 1, day) / 86_400_000,
    month: `${parts.year}-${parts.month}`,
  }
}

function bucketOf(daysAgo: number, month: string): string {
  if (daysAgo <= 0) return 'Today'
  if (daysAgo === 1) return 'Yesterday'
  if (daysAgo <= 7) return 'Previous 7 Days'
  if (daysAgo <= 30) return 'Previous 30 Days'
  return month
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
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
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
