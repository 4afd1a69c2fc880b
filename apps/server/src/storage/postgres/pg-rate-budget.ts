/**
 * The owners' shared request budgets in PostgreSQL (`rate_buckets`): a take is one statement
 * that refills the owner's bucket up to now, takes what it can of what was asked, and returns
 * that, the row locked meanwhile, so takes from several instances at once add up exactly.
 */
import type pg from 'pg'
import type { BucketLimit, RateBudget } from '../../domain/rate-budget.ts'

/**
 * $1 owner, $2 burst, $3 rate a second, $4 tokens wanted, $5 now (ms). `refilled` is the
 * bucket now: a clock behind the others' never takes time back (`at` only moves forward), and
 * a first take starts from a full bucket.
 */
const TAKE = `
  INSERT INTO rate_buckets AS b (owner, tokens, at, granted)
  VALUES ($1, $2::float8 - LEAST($4::bigint, FLOOR($2::float8)::bigint), $5::bigint,
    LEAST($4::bigint, FLOOR($2::float8)::bigint))
  ON CONFLICT (owner) DO UPDATE SET
    tokens = LEAST($2::float8, b.tokens + GREATEST(0, $5::bigint - b.at) / 1000.0 * $3::float8)
      - LEAST($4::bigint, FLOOR(LEAST($2::float8,
          b.tokens + GREATEST(0, $5::bigint - b.at) / 1000.0 * $3::float8))::bigint),
    at = GREATEST(b.at, $5::bigint),
    granted = LEAST($4::bigint, FLOOR(LEAST($2::float8,
      b.tokens + GREATEST(0, $5::bigint - b.at) / 1000.0 * $3::float8))::bigint)
  RETURNING granted, tokens`

/**
 * Takes through `pool` with one prepared statement (parsed and planned once per connection).
 *
 * @example
 * ```ts
 * const budget = createPostgresRateBudget(pool)
 * const { granted } = await budget.take('team-a', { ratePerSecond: 50, burst: 100 }, 5, Date.now())
 * ```
 */
export function createPostgresRateBudget(pool: pg.Pool): RateBudget {
  return {
    async take(owner: string, limit: BucketLimit, want: number, nowMs: number) {
      const { rows } = await pool.query<{ granted: string; tokens: number }>({
        name: 'uxmate_rate_take',
        text: TAKE,
        values: [owner, limit.burst, limit.ratePerSecond, want, nowMs],
      })
      const row = rows[0]
      return { granted: Number(row?.granted ?? 0), left: Number(row?.tokens ?? 0) }
    },
  }
}
