/** A column of a text table: its header and which side its cells line up on. */
export interface Column {
  header: string
  align?: 'left' | 'right'
}

/**
 * A Markdown pipe table padded so that it also reads well in a terminal; the same text goes to
 * the console and into docs/performance.md.
 *
 * @example
 * ```ts
 * formatTable([{ header: 'route' }, { header: 'req/s', align: 'right' }], [['GET /x', '1,200']])
 * // | route  | req/s |
 * // | ------ | ----: |
 * // | GET /x | 1,200 |
 * ```
 */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((column, i) =>
    Math.max(3, column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    `| ${columns
      .map((column, i) => {
        const cell = cells[i] ?? ''
        const width = widths[i] ?? 0
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join(' | ')} |`
  const rule = `| ${columns
    .map((column, i) => {
      const dashes = '-'.repeat(widths[i] ?? 3)
      return column.align === 'right' ? `${dashes.slice(1)}:` : dashes
    })
    .join(' | ')} |`
  return [line(columns.map((column) => column.header)), rule, ...rows.map((row) => line(row))].join(
    '\n',
  )
}

/** `12,345`: a whole count with thousands separators; `–` when unknown. */
export function formatCount(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return Math.round(value).toLocaleString('en-US')
}

/** Milliseconds with two decimals (`1.27`); `–` when unknown. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return value.toFixed(value >= 100 ? 0 : 2)
}

/** A fraction as a whole percentage (`0.734` → `73%`); `–` when unknown. */
export function formatPercent(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return `${Math.round(value * 100)}%`
}

/** A ratio as a multiple (`2.1` → `2.10×`); `–` when unknown. */
export function formatTimes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return `${value.toFixed(2)}×`
}

/** Bytes as MiB with one decimal (`83.4`); `–` when unknown. */
export function formatMiB(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '–'
  return (bytes / 1024 / 1024).toFixed(1)
}

/** A session count in short form: `10k`, `1M`, `2,500`. */
export function formatScale(sessions: number | undefined): string {
  if (sessions === undefined) return '–'
  if (sessions >= 1_000_000 && sessions % 1_000_000 === 0) return `${sessions / 1_000_000}M`
  if (sessions >= 1_000 && sessions % 1_000 === 0) return `${sessions / 1_000}k`
  return formatCount(sessions)
}
