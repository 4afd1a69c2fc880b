import type { BudgetCheck } from './budgets.ts'
import {
  type Column,
  formatCount,
  formatMiB,
  formatMs,
  formatPercent,
  formatScale,
  formatTable,
  formatTimes,
} from './format-table.ts'
import type { BenchResults, Measured, ResultRow } from './results.ts'

const columns: Column[] = [
  { header: 'Scenario' },
  { header: 'Store' },
  { header: 'Sessions', align: 'right' },
  { header: 'req/s', align: 'right' },
  { header: 'p50 ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: 'CPU µs/req', align: 'right' },
  { header: 'Limit req/s', align: 'right' },
  { header: 'of limit', align: 'right' },
  { header: 'Peer req/s', align: 'right' },
  { header: 'vs peer', align: 'right' },
  { header: 'Peak RSS MiB', align: 'right' },
  { header: 'Note' },
]

function failures(measured: Measured): string {
  const rejected = Object.entries(measured.load.rejected).map(([status, n]) => `${n}× ${status}`)
  if (measured.load.errors > 0) rejected.push(`${measured.load.errors} errors`)
  if (measured.load.timeouts > 0) rejected.push(`${measured.load.timeouts} timeouts`)
  return rejected.join(', ')
}

function cells(row: ResultRow): string[] {
  if (row.kind === 'unavailable') {
    const blank = columns.length - 4
    return [row.label, row.store, formatScale(row.sessions), ...Array(blank).fill(''), row.note]
  }
  const { load, proc } = row.ours
  const base = [
    row.label,
    row.store,
    formatScale(row.sessions),
    formatCount(load.rps),
    formatMs(load.latencyMs.p50),
    formatMs(load.latencyMs.p99),
    formatCount(row.ours.cpuUsPerRequest),
  ]
  if (row.kind === 'write') {
    return [...base, '–', '–', '–', '–', formatMiB(proc.peak), failures(row.ours)]
  }
  const notes = [
    `${formatCount(row.bodyBytes)} B body`,
    row.peerSameJson === false
      ? row.store === 'SQLite'
        ? 'peer JSON differs!'
        : 'JSON differs from SQLite!'
      : '',
    failures(row.ours),
  ]
  return [
    ...base,
    formatCount(row.limit.load.rps),
    formatPercent(load.rps / row.limit.load.rps),
    row.peer ? formatCount(row.peer.load.rps) : '–',
    row.peer ? formatTimes(load.rps / row.peer.load.rps) : '–',
    formatMiB(proc.peak),
    notes.filter(Boolean).join('; '),
  ]
}

/** The main table: one row per scenario and scale, ours against the limit and the peer. */
export function renderResultsTable(results: BenchResults): string {
  return formatTable(columns, results.rows.map(cells))
}

/**
 * CPU per request of the three stacks: unlike throughput, it does not depend on the share of
 * the machine a neighbour left, so its ratios are the steadier comparison.
 */
export function renderCpuTable(results: BenchResults): string {
  const rows = results.rows.filter((row) => row.kind === 'read')
  return formatTable(
    [
      { header: 'Read scenario' },
      { header: 'Store' },
      { header: 'Sessions', align: 'right' },
      { header: 'Ours µs/req', align: 'right' },
      { header: 'Limit µs/req', align: 'right' },
      { header: 'Peer µs/req', align: 'right' },
      { header: 'Limit/ours', align: 'right' },
      { header: 'Peer/ours', align: 'right' },
    ],
    rows.map((row) => [
      row.label,
      row.store,
      formatScale(row.sessions),
      formatCount(row.ours.cpuUsPerRequest),
      formatCount(row.limit.cpuUsPerRequest),
      row.peer ? formatCount(row.peer.cpuUsPerRequest) : '–',
      formatPercent(row.limit.cpuUsPerRequest / row.ours.cpuUsPerRequest),
      row.peer ? formatTimes(row.peer.cpuUsPerRequest / row.ours.cpuUsPerRequest) : '–',
    ]),
  )
}

/**
 * Our server without its read cache: every read queries the store and builds its JSON, as the
 * first read after a write does. Shows what the store costs, and that it stays flat with scale.
 */
export function renderUncachedTable(results: BenchResults): string {
  const rows = results.rows.filter((row) => row.kind === 'read' && row.uncached !== undefined)
  if (rows.length === 0) return 'Without the read cache: not measured.'
  return formatTable(
    [
      { header: 'Read scenario, no read cache' },
      { header: 'Store' },
      { header: 'Sessions', align: 'right' },
      { header: 'req/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'CPU µs/req', align: 'right' },
      { header: 'of limit', align: 'right' },
      { header: 'vs peer', align: 'right' },
      { header: 'Peak RSS MiB', align: 'right' },
    ],
    rows.flatMap((row) => {
      if (row.kind !== 'read' || !row.uncached) return []
      const { load, proc, cpuUsPerRequest } = row.uncached
      return [
        [
          row.label,
          row.store,
          formatScale(row.sessions),
          formatCount(load.rps),
          formatMs(load.latencyMs.p50),
          formatMs(load.latencyMs.p99),
          formatCount(cpuUsPerRequest),
          formatPercent(load.rps / row.limit.load.rps),
          row.peer ? formatTimes(load.rps / row.peer.load.rps) : '–',
          formatMiB(proc.peak),
        ],
      ]
    }),
  )
}

/** RSS around the largest uploads the server accepts. */
export function renderUploadMemory(results: BenchResults): string {
  const upload = results.uploadMemory
  if (!upload) return 'Upload memory: not measured.'
  return formatTable(
    [
      { header: `Upload (24 MiB: ${upload.description})` },
      { header: 'RSS before MiB', align: 'right' },
      { header: 'Peak MiB', align: 'right' },
      { header: 'Growth MiB', align: 'right' },
      { header: 'RSS 2 s after MiB', align: 'right' },
    ],
    [
      [
        `one request (${upload.single.status})`,
        formatMiB(upload.single.baseline),
        formatMiB(upload.single.peak),
        formatMiB(upload.single.peak - upload.single.baseline),
        formatMiB(upload.single.after),
      ],
      [
        `burst: ${upload.burst.requests} requests, ${upload.burst.concurrency} at a time (${upload.burst.ok} ok)`,
        formatMiB(upload.burst.baseline),
        formatMiB(upload.burst.peak),
        formatMiB(upload.burst.peak - upload.burst.baseline),
        formatMiB(upload.burst.after),
      ],
    ],
  )
}

/** The SSE fan-out result, or why it was not measured. */
export function renderSse(results: BenchResults): string {
  const sse = results.sse
  if (sse.status !== 'measured') return `SSE fan-out: ${sse.status}: ${sse.note}`
  const { lagMs: lag, spreadMs: spread } = sse
  return (
    `SSE fan-out: ${sse.connected}/${sse.subscribers} subscribers (all connected ${formatMs((sse.connectMs ?? 0) / 1000)} s into the run), ` +
    `a delta every ${sse.eventEveryMs} ms (${formatMs(sse.paceMs)} ms seen alone), ${formatCount(sse.events)} deltas × subscribers = ${formatCount(sse.deliveries)} deliveries measured. ` +
    `Lag behind the run: p50 ${formatMs(lag?.p50)} ms, p99 ${formatMs(lag?.p99)} ms, max ${formatMs(lag?.max)} ms; ` +
    `fan-out spread: p50 ${formatMs(spread?.p50)} ms, p99 ${formatMs(spread?.p99)} ms. ` +
    `CPU over the ${sse.wallSeconds?.toFixed(0)} s: server ${sse.serverCpuSeconds?.toFixed(1)} s, subscribers' process ${sse.clientCpuSeconds?.toFixed(1)} s` +
    (sse.note ? ` (${sse.note})` : '')
  )
}

/** Budgets with their verdicts. */
export function renderBudgets(checks: readonly BudgetCheck[]): string {
  return formatTable(
    [{ header: 'Budget' }, { header: 'Measured' }, { header: 'Verdict' }],
    checks.map((check) => [check.budget, check.measured, check.verdict.toUpperCase()]),
  )
}

/** The many-owners mix: hit rate and what the rate limiter and the cache change in CPU. */
export function renderManyOwners(results: BenchResults): string {
  const owners = results.manyOwners
  if (!owners) return 'Many owners: not measured.'
  const cpu = owners.cpuUsPerRequest
  const rate = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`)
  const rounds = (values: number[]) => values.map((value) => formatCount(value)).join(', ')
  return (
    `Many owners: ${formatCount(owners.owners)} owners of ${owners.sessionsPerOwner} sessions, each polling grouped and the list, 1 in ${owners.streamEvery} streaming a turn a visit. ` +
    `Read cache hit rate ${rate(owners.hitRate)} as deployed (16 MiB); with a 256 MiB cache ${rate(owners.hitRateBigCache)} (without the limiter ${rate(owners.hitRateNoLimiter)}). ` +
    `CPU µs/request of the mix: as deployed ${formatCount(cpu.deployed)} (rounds ${rounds(owners.cpuUsPerRequestRounds.deployed)}), ` +
    `256 MiB cache ${formatCount(cpu.bigCache)} (${rounds(owners.cpuUsPerRequestRounds.bigCache)}), ` +
    `256 MiB cache without the rate limiter ${formatCount(cpu.noLimiter)} (${rounds(owners.cpuUsPerRequestRounds.noLimiter)}), ` +
    `no read cache ${formatCount(cpu.noCache)} (${rounds(owners.cpuUsPerRequestRounds.noCache)}).`
  )
}

// The many-owners layout's searched owner has the same 1,110 messages at every scale.
const LAYOUT_LABELS = { 'one-owner': 'one owner', 'many-owners': '1 of 1,002 owners' } as const

/** The search part: each search and the filtered grouped page, by store, layout and size. */
export function renderSearchTable(results: BenchResults): string {
  const search = results.search
  if (!search) return 'Search: not measured.'
  return formatTable(
    [
      { header: `Search (no read cache, ${results.config.searchConnections} connection(s))` },
      { header: 'Store' },
      { header: 'Owners' },
      { header: 'Messages', align: 'right' },
      { header: 'Results', align: 'right' },
      { header: 'req/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'CPU µs/req', align: 'right' },
      { header: 'Peak RSS MiB', align: 'right' },
      { header: 'Note' },
    ],
    search.rows.map((row) => [
      row.label,
      row.store,
      LAYOUT_LABELS[row.layout],
      formatScale(row.messages),
      formatCount(row.results),
      formatCount(row.ours.load.rps),
      formatMs(row.ours.load.latencyMs.p50),
      formatMs(row.ours.load.latencyMs.p99),
      formatCount(row.ours.cpuUsPerRequest),
      formatMiB(row.ours.proc.peak),
      failures(row.ours),
    ]),
  )
}
