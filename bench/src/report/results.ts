import type { BenchConfig } from '../config.ts'
import type { LatencySummary, LoadResult } from '../load/load-spec.ts'
import type { ProcessWindow } from '../runtime/proc-stats.ts'
import type { SeedReport } from '../seed/seed-store.ts'
import type { OwnersOpenResult } from './owners-open-results.ts'

/**
 * One target under one scenario: the best of its rounds (highest throughput: on a shared
 * machine, noise only ever slows a run down), with the target's memory and CPU.
 */
export interface Measured {
  load: LoadResult
  /** RSS of the best round; `peak` is the highest of every round. */
  proc: ProcessWindow
  /** CPU time of the target per response, in microseconds: robust to a noisy machine. */
  cpuUsPerRequest: number
  /** Throughput of every round, in order. */
  roundsRps: number[]
}

export type ReadScenarioKey = 'get' | 'list' | 'grouped' | 'grouped_pinned'

/**
 * A read scenario at one scale: our server, the bare-Hono limit and the Express peer. On
 * PostgreSQL, `peer` is the SQLite peer's measurement at the same scale (it has no PostgreSQL
 * version), absent when SQLite was not run at that scale.
 */
export interface ReadRow {
  kind: 'read'
  scenario: ReadScenarioKey
  label: string
  store: 'SQLite' | 'PostgreSQL'
  sessions: number
  /** Size of the response body, in bytes. */
  bodyBytes: number
  ours: Measured
  /**
   * Our server without its read cache (`READ_CACHE_BYTES=0`): every read queries the store and
   * builds its JSON, as the first read after a write does. SQLite only (PostgreSQL keeps none).
   */
  uncached?: Measured
  limit: Measured
  peer?: Measured
  /**
   * Did the peer answer exactly the JSON our server answered? (On PostgreSQL: did our server
   * answer what it answered on SQLite at the same scale? Undefined when SQLite did not run it.)
   */
  peerSameJson?: boolean
}

/** A write scenario: our server only. */
export interface WriteRow {
  kind: 'write'
  scenario: string
  label: string
  store: 'SQLite' | 'PostgreSQL'
  sessions: number
  ours: Measured
}

/** A row the bench cannot measure (yet), and why. */
export interface UnavailableRow {
  kind: 'unavailable'
  scenario: string
  label: string
  store: string
  sessions?: number
  note: string
}

export type ResultRow = ReadRow | WriteRow | UnavailableRow

/**
 * A search (or the filtered grouped page) at one store size: our server without its read
 * cache, at `config.searchConnections` connections.
 */
export interface SearchRow {
  kind: 'search'
  scenario: string
  label: string
  store: 'SQLite' | 'PostgreSQL'
  /** Every session one owner's, or 1,002 owners' (the search is one's, of a history the same at every scale). */
  layout: 'one-owner' | 'many-owners'
  /** Messages in the store, every owner's. */
  messages: number
  /** Hits on the page (sessions, for the grouped page). */
  results: number
  bodyBytes: number
  ours: Measured
}

/** The search part (`BENCH_ONLY=search`): its rows, and how long each store took to seed. */
export interface SearchResults {
  rows: SearchRow[]
  seeding: (SeedReport & {
    store: SearchRow['store']
    layout: SearchRow['layout']
    messages: number
  })[]
}

/** RSS of our server around large uploads, in bytes. */
export interface UploadMemory {
  /** Bytes of one request's body. */
  requestBytes: number
  description: string
  single: { baseline: number; peak: number; after: number; status: string }
  burst: {
    requests: number
    concurrency: number
    baseline: number
    peak: number
    after: number
    ok: number
  }
}

/** SSE fan-out: N subscribers on one streaming run. */
export interface SseResult {
  status: 'measured' | 'skipped' | 'failed'
  note: string
  subscribers?: number
  /** Subscribers that got the stream's headers. */
  connected?: number
  /** Milliseconds from the start of the run until every subscriber was connected. */
  connectMs?: number
  events?: number
  /** Delivered events counted (events × subscribers that received them). */
  deliveries?: number
  /** Milliseconds between two deltas of the run (the server's ECHO_DELAY_MS). */
  eventEveryMs?: number
  /** Milliseconds per delta with one subscriber: the pace lag is measured against. */
  paceMs?: number
  /** CPU seconds of our server and of the subscribing (load) process during the scenario. */
  serverCpuSeconds?: number
  clientCpuSeconds?: number
  /** Wall-clock seconds of the scenario: with `serverCpuSeconds`, how busy the server was. */
  wallSeconds?: number
  /** Per delta and subscriber: arrival behind the run's schedule (see sse-worker.ts). */
  lagMs?: LatencySummary
  /** Per delta and subscriber: arrival after the delta's first arrival anywhere. */
  spreadMs?: LatencySummary
}

/** The many-owners mix (`BENCH_ONLY=owners`): the read cache's hit rate, the limiter's cost. */
export interface ManyOwnersResult {
  owners: number
  sessionsPerOwner: number
  /** One owner in this many starts a streamed turn on each visit. */
  streamEvery: number
  /** Kept-read lookups that hit, over the measured rounds, as deployed; null without lookups. */
  hitRate: number | null
  /** The same with a read cache of 256 MiB, large enough for every owner's answers. */
  hitRateBigCache: number | null
  /** The same, 256 MiB, without the rate limiter. */
  hitRateNoLimiter: number | null
  /** Of the best round of each server, over every request of the mix. */
  cpuUsPerRequest: { deployed: number; noLimiter: number; bigCache: number; noCache: number }
  /** Every round's, in order: the rate limiter's cost is their difference, within noise. */
  cpuUsPerRequestRounds: {
    deployed: number[]
    noLimiter: number[]
    bigCache: number[]
    noCache: number[]
  }
}

export interface BenchResults {
  startedAt: string
  finishedAt: string
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string }
  config: BenchConfig
  /** Seeding of each scale; `store` is absent for SQLite (results from before PostgreSQL). */
  seeding: (SeedReport & { scale: number; store?: 'PostgreSQL' })[]
  rows: ResultRow[]
  uploadMemory?: UploadMemory
  sse: SseResult
  manyOwners?: ManyOwnersResult
  /** The open-loop many-owners search (issue 21). */
  ownersOpen?: OwnersOpenResult
  /** The limiter shared through PostgreSQL: its takes (statements) per request, by batch. */
  sharedLimiter?: { statementsPerRequest: Record<number, number> }
  search?: SearchResults
}
