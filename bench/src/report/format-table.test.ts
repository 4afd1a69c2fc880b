import { describe, expect, it } from 'vitest'
import {
  formatCount,
  formatMiB,
  formatMs,
  formatPercent,
  formatScale,
  formatTable,
  formatTimes,
} from './format-table.ts'

describe('formatTable', () => {
  it('pads cells to the widest one and right-aligns numeric columns', () => {
    const table = formatTable(
      [{ header: 'route' }, { header: 'req/s', align: 'right' }],
      [
        ['GET /sessions/{id}', '12,000'],
        ['GET /x', '9'],
      ],
    )
    expect(table.split('\n')).toEqual([
      '| route              |  req/s |',
      '| ------------------ | -----: |',
      '| GET /sessions/{id} | 12,000 |',
      '| GET /x             |      9 |',
    ])
  })

  it('treats a missing cell as empty', () => {
    expect(formatTable([{ header: 'a' }, { header: 'b' }], [['x']]).split('\n')[2]).toBe(
      '| x   |     |',
    )
  })
})

describe('number formats', () => {
  it('formats counts, milliseconds, percentages, multiples and sizes', () => {
    expect(formatCount(12345.6)).toBe('12,346')
    expect(formatMs(1.234)).toBe('1.23')
    expect(formatMs(250.4)).toBe('250')
    expect(formatPercent(0.734)).toBe('73%')
    expect(formatTimes(2.1)).toBe('2.10×')
    expect(formatMiB(64 * 1024 * 1024)).toBe('64.0')
  })

  it('shows unknown values as a dash', () => {
    expect(formatCount(undefined)).toBe('–')
    expect(formatMs(Number.NaN)).toBe('–')
    expect(formatPercent(undefined)).toBe('–')
  })

  it('writes session counts short', () => {
    expect(formatScale(10_000)).toBe('10k')
    expect(formatScale(1_000_000)).toBe('1M')
    expect(formatScale(2_500)).toBe('2,500')
  })
})
