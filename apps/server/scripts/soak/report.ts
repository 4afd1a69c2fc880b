import type { Outcome } from './traffic.ts'

/** Requests and errors by action, and latencies, as the soak goes. */
interface ActionStats {
  count: number
  errors: Map<string, number>
  ms: number[]
}

export class SoakStats {
  readonly #byAction = new Map<
    string,
    { count: number; errors: Map<string, number>; ms: number[] }
  >()

  add(outcome: Outcome): void {
    const entry: ActionStats = this.#byAction.get(outcome.action) ?? {
      count: 0,
      errors: new Map(),
      ms: [],
    }
    entry.count++
    // A sample of latencies is enough for percentiles, and stays small.
    if (entry.ms.length < 50_000) entry.ms.push(outcome.ms)
    if (!outcome.expected) {
      const key = String(outcome.status)
      entry.errors.set(key, (entry.errors.get(key) ?? 0) + 1)
    }
    this.#byAction.set(outcome.action, entry)
  }

  get requests(): number {
    return [...this.#byAction.values()].reduce((sum, e) => sum + e.count, 0)
  }

  get errors(): number {
    return [...this.#byAction.values()].reduce(
      (sum, e) => sum + [...e.errors.values()].reduce((a, b) => a + b, 0),
      0,
    )
  }

  /** One line per action: count, errors by status, p50/p99 in ms. */
  table(): string {
    const rows = [...this.#byAction.entries()].sort(([a], [b]) => a.localeCompare(b))
    return rows
      .map(([action, e]) => {
        const sorted = [...e.ms].sort((a, b) => a - b)
        const at = (q: number) =>
          sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
        const errors = [...e.errors].map(([status, n]) => `${status}×${n}`).join(' ') || '-'
        return `  ${action.padEnd(20)} ${String(e.count).padStart(8)}  p50 ${at(0.5).toFixed(1).padStart(7)} ms  p99 ${at(0.99).toFixed(1).padStart(8)} ms  errors ${errors}`
      })
      .join('\n')
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
