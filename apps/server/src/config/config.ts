import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The agents file shipped with the server, `apps/server/agents.yaml`: the nearest `agents.yaml`
 * up from this module, which is in `src/config/` in development and bundled into `dist/` in a
 * build (deployed with `agents.yaml` beside `dist/`).
 */
function shippedAgentsFile(): string {
  let folder = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(folder, 'agents.yaml'))) {
    const parent = dirname(folder)
    // Not found: the path a build would have, for the error that names AGENTS_FILE.
    if (parent === folder) return fileURLToPath(new URL('../agents.yaml', import.meta.url))
    folder = parent
  }
  return join(folder, 'agents.yaml')
}

export const defaultAgentsFile = shippedAgentsFile()

/**
 * The reference web app's build, when there is one: `web/` beside a deployed server (the
 * image), or `apps/web/dist` of the workspace (`pnpm start`).
 */
function builtWebApp(): string | undefined {
  const server = dirname(defaultAgentsFile)
  return [join(server, 'web'), join(server, '../web/dist')].find((folder) =>
    existsSync(join(folder, 'index.html')),
  )
}

export const defaultWebAppDir = builtWebApp()

/** Size limits on request bodies, enforced while the body is read. */
export interface BodyLimits {
  /** Largest single uploaded file. */
  maxFileBytes: number
  /** Most files in one request. */
  maxFiles: number
  /** Largest multipart request body, all parts together. */
  maxRequestBytes: number
  /** Largest JSON request body. */
  maxJsonBytes: number
  /** Most text (non-file) parts of a multipart body; with `maxFiles`, busboy's `parts`. Unset: none. */
  maxFormFields?: number
  /** Largest text part of a multipart body (busboy's `fieldSize`), far below a file's. Unset: the request's. */
  maxFieldBytes?: number
  /**
   * Most bytes of multipart bodies held at once, all requests together (a body with files is
   * held until they are stored); past it, a request's body is read on once earlier ones are
   * done with. Unset: no such limit.
   */
  uploadBufferBytes?: number
}

/** Webhooks: where the endpoints are, and how their deliveries go (see `WEBHOOKS_FILE`). */
export interface WebhookSettings {
  /** The endpoints file (`{ id, owner, url, secrets, events? }` entries); unset: no webhooks. */
  file: string | undefined
  /** How long one delivery request may take before it counts as failed. */
  timeoutMs: number
  /** Most delivery requests under way at once, per instance. */
  concurrency: number
  /** How often the outbox is looked at for deliveries that came due. */
  pollMs: number
  /** The pause before the second attempt; it doubles with each attempt after (with jitter). */
  retryBaseMs: number
  /** The longest pause between two attempts. */
  retryMaxMs: number
  /** How long after its event a delivery is still tried. */
  maxAgeMs: number
  /** How long a finished (`delivered` or `failed`) delivery is kept after it finished. */
  retentionMs: number
  /** Delivers to private, loopback and link-local addresses too; off, they are refused. */
  allowPrivateAddresses: boolean
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface ServerConfig {
  port: number
  host: string
  /** Where the SQLite database lives when DATABASE_URL does not say otherwise. */
  dataDir: string
  /**
   * `sqlite:<path>`, or `postgres://` (`postgresql://`) for a PostgreSQL store that several
   * instances can share; unset means `<dataDir>/uxmate.sqlite`.
   */
  databaseUrl: string | undefined
  /** Most connections to PostgreSQL open at once, per instance. */
  databasePoolSize: number
  /**
   * PostgreSQL: most kept reads that wait for a connection at once, per instance; one more is
   * answered `503` with `Retry-After` at once, before it reads anything (`domain/admission.ts`).
   */
  maxWaitingReads: number
  /**
   * How long a run's claim holds without being renewed (PostgreSQL): the instance running it
   * renews it a few times per period, and once it has run out (the instance died) the other
   * instances flush the run.
   */
  runLeaseMs: number
  limits: BodyLimits
  /** Most messages a session holds, replies included (a turn needs room for two). */
  maxSessionMessages: number
  /** Most bytes (UTF-8) of message texts a session holds, replies included. */
  maxSessionTextBytes: number
  /** Most turns that wait behind a session's run (`on_busy=enqueue`); one more is a `409`. */
  maxQueuedTurns: number
  /** Most bytes of images sent to a model in one request, newest first; the rest are named. */
  agentImageBytes: number
  /** How long POST and PUT wait for a run before answering with the session still `Running`. */
  runWaitMs: number
  /** How long a run may take before it is stopped and the session `Flushed`. */
  runTimeoutMs: number
  /** How long shutdown waits for in-flight requests and runs. */
  shutdownTimeoutMs: number
  /** The echo agent's pause between words, so streaming can be watched. */
  echoDelayMs: number
  /** The agents file (YAML or JSON); see `agents.yaml`. */
  agentsFile: string
  /** The reference web app's build, served at `/`; none: `/` is not served. */
  webAppDir: string | undefined
  /**
   * How long a model provider may take to start answering one request, and may then stay
   * silent in the middle of a streamed reply.
   */
  agentRequestTimeoutMs: number
  /** How many times a provider request that failed with 429, 5xx or no connection is retried. */
  agentMaxRetries: number
  /** Text files attached to a prompt are given to the model up to this many bytes each. */
  agentInlineFileBytes: number
  /** How long the agent may take to write a session's title; then the prompt's is kept. */
  agentTitleTimeoutMs: number
  /** The pause between keep-alive comments of an event stream while nothing happens. */
  eventsKeepAliveMs: number
  /** How long a finished run's events stay in memory for streams that reconnect. */
  eventsRetentionMs: number
  /**
   * The most bytes of read answers kept until their owner's sessions change (SQLite only; see
   * `http/read-cache.ts`); 0 keeps none.
   */
  readCacheBytes: number
  /**
   * The API keys file (`{ owner, sha256 }` entries); unset runs the server open, every request
   * the anonymous owner's, which is allowed only on a loopback address or with `allowAnonymous`.
   */
  apiKeysFile: string | undefined
  /** Runs open (no keys) on an address other than loopback; off unless deliberately set. */
  allowAnonymous: boolean
  /** Requests each owner may make per second, steadily; 0 turns rate limiting off. */
  rateLimitPerSecond: number
  /** Requests an owner may make at once after a quiet spell (the token bucket's size). */
  rateLimitBurst: number
  /**
   * PostgreSQL: tokens an instance takes from an owner's shared bucket at once (at most the
   * burst). Over any period, N instances allow at most N times this more than the budget.
   */
  rateLimitBatch: number
  /**
   * Failed authentications (no key, or one nobody owns) a client address may make per minute,
   * steadily, before it gets 429s; 0 turns the limit off. Valid keys are never counted.
   */
  authFailuresPerMinute: number
  /** Failed authentications an address may make at once (the token bucket's size). */
  authFailuresBurst: number
  /** Most client addresses whose failures are tracked; the least recent one is forgotten first. */
  authFailureAddresses: number
  /** Origins allowed to call the API from a browser (CORS); `*` allows any; empty: none. */
  corsOrigins: string[]
  /**
   * `Host` values answered besides loopback names (`name`, `name:port`, `*` for any): enforced
   * in open mode, and with API keys once set; others get 421.
   */
  allowedHosts: string[]
  /** The largest request line and headers together (Node's `maxHeaderSize`); 431 above. */
  maxHeaderBytes: number
  /** How long a client may take to send a request's headers (against slowloris). */
  headersTimeoutMs: number
  /**
   * How long a client may take to send a whole request, body included. An idempotent request
   * still marked in progress after this plus `runWaitMs` was cut off, and frees its key.
   */
  requestTimeoutMs: number
  webhooks: WebhookSettings
  logLevel: LogLevel
  /**
   * The port Prometheus scrapes `GET /metrics` on, apart from the API's (unset: no metrics are
   * kept or served). The API's keys never guard it: where it listens does.
   */
  metricsPort: number | undefined
  /** The address the metrics port listens on; loopback unless deliberately set. */
  metricsHost: string
  /**
   * OpenTelemetry traces to an OTLP endpoint, as the standard `OTEL_*` variables say (see
   * `tracingWanted`); off, the SDK is not even loaded.
   */
  tracing: boolean
}

const MiB = 1024 * 1024

export const defaultConfig: ServerConfig = {
  port: 8000,
  host: '127.0.0.1',
  dataDir: './data',
  databaseUrl: undefined,
  databasePoolSize: 10,
  maxWaitingReads: 1000,
  runLeaseMs: 15_000,
  limits: {
    maxFileBytes: 10 * MiB,
    maxFiles: 10,
    maxRequestBytes: 25 * MiB,
    maxJsonBytes: 1 * MiB,
    maxFormFields: 16,
    // A prompt's 100,000 characters take at most 400,000 bytes of UTF-8.
    maxFieldBytes: 512 * 1024,
    // 16 uploads of 1 MiB at once; one larger than this goes on alone (see upload-gate.ts). At
    // 32 MiB, 50 uploads of 1 MiB at once peaked 10-17 MiB higher at the same throughput
    // (docs/performance.md, "Memory").
    uploadBufferBytes: 16 * MiB,
  },
  // A GET, a list page or a model call on the largest session stays within tens of MB.
  maxSessionMessages: 10_000,
  maxQueuedTurns: 10,
  maxSessionTextBytes: 16 * MiB,
  agentImageBytes: 8 * MiB,
  runWaitMs: 30_000,
  runTimeoutMs: 120_000,
  shutdownTimeoutMs: 10_000,
  // Slow enough to see a reply stream in a terminal or a browser; the tests set their own.
  echoDelayMs: 30,
  agentsFile: defaultAgentsFile,
  webAppDir: defaultWebAppDir,
  agentRequestTimeoutMs: 60_000,
  agentMaxRetries: 2,
  agentInlineFileBytes: 64 * 1024,
  agentTitleTimeoutMs: 10_000,
  eventsKeepAliveMs: 15_000,
  eventsRetentionMs: 60_000,
  // ~500 pages of 50 sessions: the sidebars and reloads of the owners active at one time.
  readCacheBytes: 16 * MiB,
  apiKeysFile: undefined,
  allowAnonymous: false,
  // Generous for people and scripts alike; a runaway loop still hits it within seconds.
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  rateLimitBatch: 5,
  // A client with a typo in its key finds out long before this; guessing keys gets nowhere.
  authFailuresPerMinute: 10,
  authFailuresBurst: 20,
  // About 2 MB at most.
  authFailureAddresses: 10_000,
  corsOrigins: [],
  allowedHosts: [],
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  webhooks: {
    file: undefined,
    timeoutMs: 10_000,
    concurrency: 8,
    pollMs: 1_000,
    retryBaseMs: 5_000,
    retryMaxMs: 3_600_000,
    maxAgeMs: 24 * 3_600_000,
    // As long as Stripe-style services keep theirs: the owner's record of a month's deliveries.
    retentionMs: 30 * 86_400_000,
    allowPrivateAddresses: false,
  },
  logLevel: 'info',
  metricsPort: undefined,
  metricsHost: '127.0.0.1',
  tracing: false,
}
