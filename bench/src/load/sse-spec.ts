import type { LatencySummary } from './load-spec.ts'

/** One SSE fan-out run: N subscribers on the events of one streaming run. */
export interface SseSpec {
  baseUrl: string
  /** The route as openapi.yaml spells it, with `{session_id}`. */
  eventsPath: string
  sessionId: string
  subscribers: number
  /** The prompt of the run: the echo agent streams it back a word at a time. */
  prompt: string
  /** The whole scenario stops after this many seconds, finished or not. */
  timeoutS: number
}

export interface SseOutcome {
  connected: number
  /** Events seen by at least one subscriber after every subscriber was connected. */
  events: number
  deliveryMs: LatencySummary
  /** Why subscribers failed, by reason. */
  failures: Record<string, number>
}

export type SseReply = { ok: true; outcome: SseOutcome } | { ok: false; error: string }
