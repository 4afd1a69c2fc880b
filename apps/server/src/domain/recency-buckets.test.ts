import { describe, expect, it } from 'vitest'
import { dayIn, groupByRecency, isKnownTimeZone } from './recency-buckets.ts'

const at = (iso: string) => ({ updatedAt: new Date(iso), iso })

describe('groupByRecency', () => {
  const now = new Date('2026-11-26T10:00:00Z')

  it('buckets by calendar days, then by month, in order', () => {
    const sessions = [
      at('2026-11-26T00:10:00Z'),
      at('2026-11-25T23:59:00Z'),
      at('2026-11-24T12:00:00Z'),
      at('2026-11-19T00:00:00Z'),
      at('2026-11-18T23:00:00Z'),
      at('2026-10-27T00:00:00Z'),
      at('2026-10-26T23:00:00Z'),
      at('2026-09-01T00:00:00Z'),
      at('2025-11-30T00:00:00Z'),
    ]
    const groups = groupByRecency(sessions, now, 'UTC')
    expect([...groups.entries()].map(([bucket, list]) => [bucket, list.map((s) => s.iso)])).toEqual(
      [
        ['Today', ['2026-11-26T00:10:00Z']],
        ['Yesterday', ['2026-11-25T23:59:00Z']],
        ['Previous 7 Days', ['2026-11-24T12:00:00Z', '2026-11-19T00:00:00Z']],
        ['Previous 30 Days', ['2026-11-18T23:00:00Z', '2026-10-27T00:00:00Z']],
        ['2026-10', ['2026-10-26T23:00:00Z']],
        ['2026-09', ['2026-09-01T00:00:00Z']],
        ['2025-11', ['2025-11-30T00:00:00Z']],
      ],
    )
  })

  it('uses the calendar of the given zone', () => {
    // 23:30 UTC on the 25th is already the 26th in Tokyo, and still the 25th in New York.
    const late = [at('2026-11-25T23:30:00Z')]
    expect([...groupByRecency(late, now, 'Asia/Tokyo').keys()]).toEqual(['Today'])
    expect([...groupByRecency(late, now, 'America/New_York').keys()]).toEqual(['Yesterday'])
  })

  it('puts sessions from the future (clock skew) under Today', () => {
    expect([...groupByRecency([at('2026-11-27T10:00:00Z')], now, 'UTC').keys()]).toEqual(['Today'])
  })
})

describe('isKnownTimeZone', () => {
  it('knows IANA zones and refuses the rest', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true)
    expect(isKnownTimeZone('UTC')).toBe(true)
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false)
  })
})

describe('dayIn, kept by quarter hour', () => {
  /** The date as a formatter of the test's own gives it, nothing kept. */
  const formats = new Map<string, Intl.DateTimeFormat>()
  const reference = (ms: number, zone: string) => {
    const format =
      formats.get(zone) ??
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      })
    formats.set(zone, format)
    const [month, day, year] = format.format(ms).split('/')
    return Date.UTC(Number(year), Number(month) - 1, Number(day)) / 86_400_000
  }

  it('is the formatted date through DST changes of zones a quarter or half hour off', () => {
    // Lord Howe moves by 30 minutes, Chatham is +12:45/+13:45, Kathmandu +5:45, St John's -3:30.
    const zones = ['Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns']
    const from = Date.UTC(2026, 0, 1)
    for (const zone of zones)
      for (let ms = from; ms < from + 366 * 86_400_000; ms += 13 * 60_000 + 17_000)
        expect(dayIn(new Date(ms), zone), `${zone} ${new Date(ms).toISOString()}`).toBe(
          reference(ms, zone),
        )
  })

  it('formats instants before 1973, when offsets were not whole quarter hours, every time', () => {
    // Monrovia was UTC-0:44:30 until 1972.
    const zone = 'Africa/Monrovia'
    for (let ms = Date.UTC(1960, 0, 1, 23, 0); ms < Date.UTC(1960, 0, 2, 1, 0); ms += 60_000)
      expect(dayIn(new Date(ms), zone)).toBe(reference(ms, zone))
  })
})
