/**
 * The server's Prometheus metrics, in a registry of their own (not prom-client's global one, so
 * that two apps in one process, as in tests, count apart). Every label has a bounded set of
 * values: operationIds, status codes, agent ids of the agents file, outcomes; never an owner or
 * a session id, whose number grows without end.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { RunObservation, RunObserver, RunResult } from '../domain/run-observer.ts'
import type { ModelCall } from '../domain/session-store.ts'

/** Why a request was refused before its operation ran. */
export type RefusalReason = 'unauthenticated' | 'rate_limited' | 'auth_rate_limited' | 'reads_busy'

/** What a PostgreSQL pool says of its connections at a scrape. */
export interface PoolUse {
  total: number
  idle: number
  waiting: number
}

// Seconds: from a kept read (~0.1 ms) to a run waited for (30 s by default).
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]
const FIRST_TOKEN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1]

/**
 * Every metric the server exports, and the calls that move them.
 *
 * @example
 * ```ts
 * const metrics = new ServerMetrics()
 * metrics.request('get_session', 200, 0.0004)
 * const text = await metrics.scrape() // the Prometheus text exposition format
 * ```
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly #requests = new Histogram({
    name: 'uxmate_http_request_duration_seconds',
    help: 'Requests by operationId (`none` outside the API: docs, web app, unknown paths) and status, by how long until the answer was ready.',
    labelNames: ['operation', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  })
  readonly #refused = new Counter({
    name: 'uxmate_http_refused_total',
    help: 'Requests refused before their operation ran: no or a wrong API key, over the rate limit, over the failed-authentication limit of their address, or a read with MAX_WAITING_READS already waiting.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })
  readonly #runsStarted = new Counter({
    name: 'uxmate_runs_started_total',
    help: 'Runs started on this instance, by agent.',
    labelNames: ['agent'] as const,
    registers: [this.registry],
  })
  readonly #runsEnded = new Counter({
    name: 'uxmate_runs_ended_total',
    help: 'Runs ended, by agent and outcome (completed, or the error code: agent_error, cancelled, timeout, interrupted).',
    labelNames: ['agent', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly #runDuration = new Histogram({
    name: 'uxmate_run_duration_seconds',
    help: 'How long runs took from start to their recorded end, by agent and outcome.',
    labelNames: ['agent', 'outcome'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  })
  readonly #firstChunk = new Histogram({
    name: 'uxmate_run_time_to_first_token_seconds',
    help: "How long from a run's start until the first piece of its reply, by agent.",
    labelNames: ['agent'] as const,
    buckets: FIRST_TOKEN_BUCKETS,
    registers: [this.registry],
  })
  readonly #tokens = new Counter({
    name: 'uxmate_model_tokens_total',
    help: "Tokens of the models' calls (replies, titles, compactions), by agent and direction (input, output).",
    labelNames: ['agent', 'direction'] as const,
    registers: [this.registry],
  })
  readonly #streams = new Gauge({
    name: 'uxmate_sse_streams_open',
    help: 'Server-Sent Event streams open now (get_session_events and the AI SDK chat streams).',
    registers: [this.registry],
  })
  readonly #readCache = new Counter({
    name: 'uxmate_read_cache_lookups_total',
    help: 'Kept reads looked up in the read cache (SQLite), by result (hit, miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  })
  readonly #batchSize = new Histogram({
    name: 'uxmate_sqlite_commit_batch_size',
    help: 'Writes per group commit (SQLite): how many writes shared one transaction and fsync.',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  })
  readonly #commitSeconds = new Histogram({
    name: 'uxmate_sqlite_commit_duration_seconds',
    help: 'How long a group commit (SQLite) took, its writes and its fsync, by outcome (ok, failed).',
    labelNames: ['outcome'] as const,
    buckets: COMMIT_BUCKETS,
    registers: [this.registry],
  })
  readonly #listenReconnects = new Counter({
    name: 'uxmate_pg_listen_reconnects_total',
    help: 'Times the PostgreSQL connection that LISTENs for run events was opened again after it broke.',
    registers: [this.registry],
  })

  constructor() {
    // Event-loop lag, heap, GC, CPU, handles, file descriptors: prom-client's own set.
    collectDefaultMetrics({ register: this.registry })
  }

  /** One answered request of `operation` (an operationId, or `none`). */
  request(operation: string, status: number, seconds: number): void {
    this.#requests.observe({ operation, status }, seconds)
  }

  refused(reason: RefusalReason): void {
    this.#refused.inc({ reason })
  }

  readCache(hit: boolean): void {
    this.#readCache.inc({ result: hit ? 'hit' : 'miss' })
  }

  /** An event stream opened; call what it returns once it is over. */
  streamOpened(): () => void {
    this.#streams.inc()
    let open = true
    return () => {
      if (open) this.#streams.dec()
      open = false
    }
  }

  /** A group commit of `size` writes (SQLite). */
  committed(size: number, seconds: number, ok: boolean): void {
    this.#batchSize.observe(size)
    this.#commitSeconds.observe({ outcome: ok ? 'ok' : 'failed' }, seconds)
  }

  listenReconnected(): void {
    this.#listenReconnects.inc()
  }

  /** Reports a PostgreSQL pool's connections at every scrape. */
  watchPool(read: () => PoolUse): void {
    const gauge = (name: string, help: string, pick: (use: PoolUse) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(pick(read()))
        },
      })
    gauge(
      'uxmate_pg_pool_connections',
      'Connections the PostgreSQL pool holds open.',
      (u) => u.total,
    )
    gauge(
      'uxmate_pg_pool_idle_connections',
      'Open PostgreSQL connections not in use.',
      (u) => u.idle,
    )
    gauge(
      'uxmate_pg_pool_waiting_queries',
      'Queries waiting for a PostgreSQL connection (the pool is exhausted).',
      (u) => u.waiting,
    )
  }

  /** The runs' side: counts and times each run, by agent. */
  readonly runs: RunObserver = {
    run: (agent, body) => {
      const started = performance.now()
      this.#runsStarted.inc({ agent })
      let seenChunk = false
      const observation: RunObservation = {
        firstChunk: () => {
          if (seenChunk) return
          seenChunk = true
          this.#firstChunk.observe({ agent }, (performance.now() - started) / 1000)
        },
        ended: (outcome: RunResult, calls: readonly ModelCall[]) => {
          this.#runsEnded.inc({ agent, outcome })
          this.#runDuration.observe({ agent, outcome }, (performance.now() - started) / 1000)
          let input = 0
          let output = 0
          for (const call of calls) {
            input += call.usage.inputTokens
            output += call.usage.outputTokens
          }
          if (input > 0) this.#tokens.inc({ agent, direction: 'input' }, input)
          if (output > 0) this.#tokens.inc({ agent, direction: 'output' }, output)
        },
      }
      return body(observation)
    },
  }

  /** The metrics now, in the Prometheus text exposition format (`contentType`). */
  scrape(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
