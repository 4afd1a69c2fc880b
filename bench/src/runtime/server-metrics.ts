/** Counts of the read cache's lookups, from a scrape of a server's metrics. */
export interface CacheLookups {
  hit: number
  miss: number
}

/**
 * The read cache's lookups so far, from the server's `/metrics` on `metricsPort`.
 *
 * @example
 * ```ts
 * const before = await cacheLookups(9464)
 * ```
 */
export async function cacheLookups(metricsPort: number): Promise<CacheLookups> {
  const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const count = (result: string) =>
    scrape
      .split('\n')
      .filter((line) => line.startsWith(`uxmate_read_cache_lookups_total{result="${result}"`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
  return { hit: count('hit'), miss: count('miss') }
}

/**
 * The share of lookups between two scrapes that hit; null when there were none.
 *
 * @example
 * ```ts
 * hitRate({ hit: 10, miss: 5 }, { hit: 19, miss: 6 }) // 0.9
 * ```
 */
export function hitRate(before: CacheLookups, after: CacheLookups): number | null {
  const hit = after.hit - before.hit
  const miss = after.miss - before.miss
  return hit + miss > 0 ? hit / (hit + miss) : null
}
