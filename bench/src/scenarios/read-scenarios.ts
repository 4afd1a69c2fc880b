import type { ReadScenarioKey } from '../report/results.ts'
import { TEN_MESSAGE_SESSION_ID } from '../seed/seed-ids.ts'

export interface ReadScenario {
  key: ReadScenarioKey
  label: string
  path: string
  /** Why a body is not what the scenario is meant to read; undefined when it is. */
  check(body: unknown): string | undefined
}

const count = (value: unknown) => (Array.isArray(value) ? value.length : -1)

/** How many sessions a grouped answer's recency buckets hold together. */
const bucketed = (body: unknown) =>
  Object.values((body as { time_to_sessions?: Record<string, unknown> }).time_to_sessions ?? {})
    .map(count)
    .reduce((sum, n) => sum + n, 0)

/** The read scenarios, each checked once before it is loaded. */
export const readScenarios: ReadScenario[] = [
  {
    key: 'get',
    label: 'GET /sessions/{id} (10 messages)',
    path: `/sessions/${TEN_MESSAGE_SESSION_ID}`,
    check: (body) => {
      const messages = count((body as { messages?: unknown }).messages)
      return messages === 10 ? undefined : `expected 10 messages, got ${messages}`
    },
  },
  {
    key: 'list',
    label: 'GET /sessions?agent_id=echo (50)',
    path: '/sessions?agent_id=echo',
    check: (body) => {
      const sessions = count((body as { sessions?: unknown }).sessions)
      return sessions === 50 ? undefined : `expected a page of 50, got ${sessions}`
    },
  },
  {
    key: 'grouped',
    label: 'GET /sessions/grouped (limit 100)',
    path: '/sessions/grouped?limit=100',
    check: (body) => {
      const total = bucketed(body)
      return total === 100 ? undefined : `expected 100 sessions, got ${total}`
    },
  },
  {
    // The filtered sidebar: the pinned sessions (one in ten) in a group of their own, then the
    // others by recency, archived ones (one in ten) left out of both; two index walks.
    key: 'grouped_pinned',
    label: 'GET /sessions/grouped?pinned_group=true (100 + 100 pinned)',
    path: '/sessions/grouped?limit=100&pinned_group=true',
    check: (body) => {
      const pinned = count((body as { pinned?: unknown }).pinned)
      const total = bucketed(body)
      return pinned === 100 && total === 100
        ? undefined
        : `expected 100 pinned and 100 others, got ${pinned} and ${total}`
    },
  },
]
