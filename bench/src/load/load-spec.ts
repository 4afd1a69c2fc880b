/**
 * What the orchestrator asks the load process to do, and what it answers. Both cross a process
 * boundary as JSON, so bodies are described, not sent: the load process builds them itself.
 */

/** A request body, built once by the load process. */
export type BodySpec =
  | { kind: 'json'; value: unknown }
  | {
      kind: 'multipart'
      fields: Record<string, string>
      /** File parts, all in field `files`, filled with filler bytes. */
      files: { name: string; contentType: string; bytes: number }[]
    }

export interface LoadSpec {
  /** `http://127.0.0.1:<port>`: never anything off this machine. */
  baseUrl: string
  method: 'GET' | 'POST' | 'PUT'
  path: string
  headers?: Record<string, string>
  body?: BodySpec
  /**
   * Rotate the path over seeded sessions `from`…`from + count - 1` (as `/sessions/{id}`), one
   * per request in turn, so that a continued session has finished its run long before it is
   * continued again.
   */
  rotateSeededSessions?: { from: number; count: number; start?: number }
  /**
   * Many owners' sidebars instead of one request: the run visits owners 0…`owners - 1` in turn,
   * each with its own API key (`benchOwnerKey` of the seed), and on each visit reads every one of
   * `reads` (paths) as that owner; every `streamEvery`-th owner also posts `body` to `path` with
   * `method` on each visit (a turn that streams; `streamEvery: 0`: none does). `path`,
   * `method` and `body` of the spec are that write.
   */
  ownerMix?: { owners: number; reads: string[]; streamEvery: number }
  connections: number
  /** Measured seconds; ignored when `amount` is set. */
  durationS: number
  /** Send exactly this many requests, then stop. */
  amount?: number
  /** Unmeasured load first, same requests, this many seconds. */
  warmupS: number
  /** Per-request timeout, seconds. */
  timeoutS: number
}

export interface LatencySummary {
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

export interface LoadResult {
  /** Responses with a 2xx status. */
  ok: number
  /** Responses with any other status, by status. */
  rejected: Record<string, number>
  /** Connection errors and timeouts. */
  errors: number
  timeouts: number
  /** Measured seconds. */
  durationS: number
  /** 2xx responses per second. */
  rps: number
  /** Of 2xx responses, in milliseconds, at full (sub-millisecond) resolution. */
  latencyMs: LatencySummary
  /** Response bytes per second. */
  bytesPerSecond: number
}

/** The message the load process sends back. */
export type LoadReply = { ok: true; result: LoadResult } | { ok: false; error: string }
