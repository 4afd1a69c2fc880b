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
  /** The pause before each word of the reply (the server's ECHO_DELAY_MS). */
  eventEveryMs: number
  /** The whole scenario stops after this many seconds, finished or not. */
  timeoutS: number
}

export interface SseOutcome {
  connected: number
  /** Milliseconds from the start of the run until every subscriber was connected. */
  connectMs: number
  /** Milliseconds per delta the lone first subscriber saw: the run's pace unloaded. */
  paceMs: number
  /** CPU seconds this (client) process used, to tell a slow server from a busy client. */
  clientCpuSeconds: number
  /** Deliveries counted: events × subscribers that got them. */
  deliveries: number
  /** Deltas first seen after every subscriber was connected: those measured. */
  events: number
  /**
   * Arrival of each delta at each subscriber, behind the time the agent's schedule (one word
   * every `eventEveryMs`, on an absolute schedule) made it due, the least-late delta being 0.
   */
  lagMs: LatencySummary
  /** Arrival of each delta at each subscriber, after its first arrival at any subscriber. */
  spreadMs: LatencySummary
  /** Why subscribers failed, by reason. */
  failures: Record<string, number>
}

export type SseReply = { ok: true; outcome: SseOutcome } | { ok: false; error: string }
