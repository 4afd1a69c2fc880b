import { type Column, formatCount, formatMiB, formatTable } from './format-table.ts'
import type { OwnersOpenResult } from './owners-open-results.ts'

const columns: Column[] = [
  { header: 'Target' },
  { header: 'Owners', align: 'right' },
  { header: 'Verdict' },
  { header: 'reads p50 / p99 ms', align: 'right' },
  { header: '304', align: 'right' },
  { header: 'first token p50 / p99 ms', align: 'right' },
  { header: 'turns p99 ms', align: 'right' },
  { header: 'failed', align: 'right' },
  { header: 'send lag p99 ms', align: 'right' },
  { header: 'CPU µs/req', align: 'right' },
  { header: 'CPU ms/owner-s', align: 'right' },
  { header: 'hit rate', align: 'right' },
  { header: 'Peak RSS MiB', align: 'right' },
  { header: 'load avg', align: 'right' },
]

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–')
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`)

/**
 * The open-loop many-owners search: every step of every target, then the largest owner count
 * within the budgets per target.
 *
 * @example
 * ```ts
 * process.stdout.write(renderOwnersOpen(results.ownersOpen))
 * ```
 */
export function renderOwnersOpen(result: OwnersOpenResult | undefined): string {
  if (!result) return 'Many owners, open loop: not measured.'
  const rows = result.targets.flatMap((target) =>
    target.steps.map((step) => {
      const { polls, firstToken, turns, sendLagMs } = step.load
      const failed = [polls, turns, firstToken].reduce(
        (sum, kind) =>
          sum + kind.failed + Object.values(kind.rejected).reduce((all, n) => all + n, 0),
        0,
      )
      return [
        target.label,
        formatCount(step.owners),
        step.verdict,
        `${ms(polls.latencyMs.p50)} / ${ms(polls.latencyMs.p99)}`,
        percent(polls.ok > 0 ? polls.notModified / polls.ok : null),
        firstToken.sent > 0
          ? `${ms(firstToken.latencyMs.p50)} / ${ms(firstToken.latencyMs.p99)}`
          : '–',
        turns.sent > 0 ? ms(turns.latencyMs.p99) : '–',
        formatCount(failed),
        ms(sendLagMs.p99),
        formatCount(step.cpuUsPerRequest),
        step.cpuMsPerOwnerSecond.toFixed(3),
        percent(step.hitRate),
        formatMiB(step.peakRssMiB * 2 ** 20),
        step.loadAverage.toFixed(1),
      ]
    }),
  )
  const largest = result.targets
    // The cache's comparison is one step each, not a search.
    .filter((target) => !target.target.endsWith('-cache'))
    .map(
      (target) =>
        `${target.label}: ${target.largest === null ? 'none' : formatCount(target.largest)} (stopped by ${target.stoppedBy})`,
    )
    .join('; ')
  return [
    `Many owners, open loop: each owner's sidebar polls grouped every ${result.pollMs} ms, 1 in ${result.streamEvery} streams a turn every ${result.streamEveryS} s (${result.tokens} tokens, one every ${result.tokenMs} ms), the others take a turn every ${result.writeEveryS} s. Budgets: reads p99 < 100 ms, first token p99 < 200 ms, nothing failed.`,
    formatTable(columns, rows),
    `Largest owner count within the budgets: ${largest}.`,
  ].join('\n')
}
