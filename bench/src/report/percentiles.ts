/** Order statistics of a sample, in the unit of the sample (milliseconds for latencies). */
export interface Summary {
  count: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

/**
 * The `p`-th percentile (0–100) of values sorted ascending, by the nearest-rank method: always
 * a value that was observed, so a p99 is a latency some request really had.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50) // 2
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p <= 0) return sorted[0] as number
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(rank, sorted.length) - 1] as number
}

/**
 * Count, mean, p50, p90, p99 and max of a sample (in any order; it is not modified).
 *
 * @example
 * ```ts
 * summarize(new Float64Array([3, 1, 2])).p50 // 2
 * ```
 */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort()
  let total = 0
  for (const value of sorted) total += value
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  }
}

/**
 * A growable buffer of numbers: latencies arrive one by one, up to millions per run, and a
 * plain array of boxed doubles would cost several times the memory.
 */
export class Samples {
  #values = new Float64Array(1024)
  #length = 0

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#length++] = value
  }

  get length(): number {
    return this.#length
  }

  /** The samples so far, as a view (not a copy). */
  values(): Float64Array {
    return this.#values.subarray(0, this.#length)
  }
}
