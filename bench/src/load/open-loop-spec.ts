import type { LatencySummary } from './load-spec.ts'

/**
 * An open-loop run of many owners (issue 21): every request has a time it is due, fixed before
 * the run, and is sent then whatever the answers before it did; its latency counts from that
 * time, so a server that falls behind shows it as latency instead of as fewer requests
 * (coordinated omission).
 */
export interface OpenLoopSpec {
  /** Our instances (`http://127.0.0.1:<port>`); each request goes to the next one in turn. */
  baseUrls: string[]
  /** Owners 0…`owners - 1` take part, each with its schedule. */
  owners: number
  /** Send each owner's `Authorization: Bearer benchOwnerKey(i)` (false: the peer, no keys). */
  auth: boolean
  /** The sidebar's poll: a GET, every `pollEveryMs`, at a phase of its own per owner. */
  pollPath: string
  pollEveryMs: number
  /** Send the last `ETag` of the owner's poll as `If-None-Match`. */
  conditional: boolean
  /**
   * One owner in this many streams (0: none): a turn every `streamEveryMs` on `streamAgent`,
   * its first token timed on the session's event stream.
   */
  streamEvery: number
  streamEveryMs: number
  streamAgent: string
  /** The other owners' turns, one every `writeEveryMs` each (0: none), on `writeAgent`. */
  writeEveryMs: number
  writeAgent: string
  /** One turn in this many creates a session; the others continue the owner's latest one. */
  newSessionEvery: number
  /** Unmeasured seconds of the same schedule first, then measured ones. */
  warmupS: number
  durationS: number
  /** Most sockets per instance for the polls and turns (event streams have their own). */
  sockets: number
  /** Per-request timeout, seconds; a request still open at the end counts as timed out. */
  timeoutS: number
}

/** One kind of request of the run, measured from the time each was due. */
export interface OpenLoopKind {
  /** Due in the measured window. */
  sent: number
  /** Answered 2xx or 304. */
  ok: number
  /** Answered 304 (polls only). */
  notModified: number
  /** Other statuses, by status. */
  rejected: Record<string, number>
  /** Mean body bytes of the 200 answers; null without any. */
  meanFullBytes: number | null
  /** Connection errors and timeouts (a turn: also a stream without a delta). */
  failed: number
  /** From due to answered (a turn's first token: to its first `message.delta`), of every ok. */
  latencyMs: LatencySummary
}

export interface OpenLoopResult {
  polls: OpenLoopKind
  /** The non-streaming owners' creates and continues (respond-async: until the 202). */
  turns: OpenLoopKind
  /** The streaming owners' turns: from the turn's due time to its first delta. */
  firstToken: OpenLoopKind
  /**
   * How late this process sent requests behind their due time: when this is high, the load
   * process (not the server) was behind, and the latencies above are not the server's alone.
   */
  sendLagMs: LatencySummary
  /** Every request sent, warm-up included (for CPU per request). */
  requests: number
  clientCpuSeconds: number
}

/** The note the load process sends when the first measured request is due. */
export const MEASURING = 'measuring'

export type OpenLoopReply = { ok: true; result: OpenLoopResult } | { ok: false; error: string }
