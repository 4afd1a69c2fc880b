/**
 * What an owner's agents' models used over a range of time, by agent and by calendar day in a
 * time zone: from the store's ledger of model calls, summed by quarter hour.
 */
import { dayIn, isKnownTimeZone } from './recency-buckets.ts'
import type { SessionStore, TokenUsage } from './session-store.ts'

/** The longest range a report covers. */
export const MAX_USAGE_RANGE_DAYS = 366
/** The range when none is given: the 30 days before `to`. */
const DEFAULT_RANGE_MS = 30 * 86_400_000

export interface UsageTotals {
  agentId: string
  calls: number
  usage: TokenUsage
}

export interface UsageReport {
  from: Date
  to: Date
  timeZone: string
  /** By agent, the most input tokens first. */
  agents: UsageTotals[]
  /** By day (`YYYY-MM-DD` in `timeZone`) and agent, oldest first; days without use left out. */
  days: Array<UsageTotals & { day: string }>
}

export type UsageReportProblem = 'unknown_time_zone' | 'empty_range' | 'range_too_long'

const add = (total: UsageTotals, calls: number, usage: TokenUsage) => {
  total.calls += calls
  total.usage.inputTokens += usage.inputTokens
  total.usage.outputTokens += usage.outputTokens
  total.usage.cachedTokens += usage.cachedTokens
  total.usage.estimated ||= usage.estimated
}

const empty = (agentId: string): UsageTotals => ({
  agentId,
  calls: 0,
  usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false },
})

/**
 * The owner's usage from `from` (default: 30 days before `to`) to `to` (default: now).
 *
 * @example
 * ```ts
 * const report = await usageReport(store, { owner: 'alice', timeZone: 'Europe/Paris', now })
 * report.agents[0]?.usage.inputTokens
 * ```
 */
export async function usageReport(
  store: SessionStore,
  query: { owner: string; from?: Date; to?: Date; timeZone: string; now: Date },
): Promise<UsageReport | UsageReportProblem> {
  const { owner, timeZone } = query
  if (!isKnownTimeZone(timeZone)) return 'unknown_time_zone'
  const to = query.to ?? query.now
  const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS)
  if (from.getTime() >= to.getTime()) return 'empty_range'
  if (to.getTime() - from.getTime() > MAX_USAGE_RANGE_DAYS * 86_400_000) return 'range_too_long'

  const byAgent = new Map<string, UsageTotals>()
  const byDay = new Map<string, UsageTotals & { day: string }>()
  for (const bucket of await store.usageBuckets({ owner, from, to })) {
    const agent = byAgent.get(bucket.agentId) ?? empty(bucket.agentId)
    byAgent.set(bucket.agentId, agent)
    add(agent, bucket.calls, bucket.usage)
    const day = new Date(dayIn(new Date(bucket.start), timeZone) * 86_400_000)
      .toISOString()
      .slice(0, 10)
    const key = `${day} ${bucket.agentId}`
    const daily = byDay.get(key) ?? { ...empty(bucket.agentId), day }
    byDay.set(key, daily)
    add(daily, bucket.calls, bucket.usage)
  }
  return {
    from,
    to,
    timeZone,
    agents: [...byAgent.values()].sort((a, b) => b.usage.inputTokens - a.usage.inputTokens),
    days: [...byDay.values()].sort(
      (a, b) => a.day.localeCompare(b.day) || a.agentId.localeCompare(b.agentId),
    ),
  }
}
