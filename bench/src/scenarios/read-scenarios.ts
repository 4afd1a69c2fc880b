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

/** The three read scenarios, each checked once before it is loaded. */
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
      const groups = (body as { time_to_sessions?: Record<string, unknown> }).time_to_sessions ?? {}
      const total = Object.values(groups).reduce<number>((sum, list) => sum + count(list), 0)
      return total === 100 ? undefined : `expected 100 sessions, got ${total}`
    },
  },
]
