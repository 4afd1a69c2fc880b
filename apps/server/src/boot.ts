import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Hono } from 'hono'
import { loadAgentsFile } from './agents/agents-file.ts'
import { createAgents } from './agents/create-agents.ts'
import type { ServerConfig } from './config/config.ts'
import { ConfigError } from './config/load-config.ts'
import { type AgentRegistry, createAgentRegistry } from './domain/agent-registry.ts'
import { type Clock, systemClock } from './domain/clock.ts'
import type { Logger } from './domain/logger.ts'
import type { RateBudget } from './domain/rate-budget.ts'
import type { RunControl } from './domain/run-control.ts'
import { RunCoordinator } from './domain/run-coordinator.ts'
import { createInMemoryRunEvents, type RunEvents } from './domain/run-events.ts'
import { bothRunObservers, type RunObserver } from './domain/run-observer.ts'
import { SessionService } from './domain/session-service.ts'
import type { SessionStore } from './domain/session-store.ts'
import { WebhookDispatcher } from './domain/webhook-dispatcher.ts'
import type { WebhookSender } from './domain/webhook-outbox.ts'
import type { AppEnv } from './http/app-env.ts'
import { createHttpApp } from './http/create-app.ts'
import { type ApiKeyLookup, loadApiKeys } from './http/security/api-keys.ts'
import { ServerMetrics } from './observability/metrics.ts'
import { startTracing, type Tracing, tracedStore } from './observability/tracing.ts'
import { openStorage, sqlitePath } from './storage/open-store.ts'
import { createHttpWebhookSender } from './webhooks/http-sender.ts'
import { loadWebhooksFile, type WebhookEndpoints } from './webhooks/webhooks-file.ts'

export { sqlitePath }

export interface AppDependencies {
  store: SessionStore
  agents: AgentRegistry
  config: ServerConfig
  logger: Logger
  clock?: Clock
  /** Where run events are published and followed; default: in this process's memory. */
  events?: RunEvents
  /**
   * Who owns each API key (see `loadApiKeys`); without it the server runs open, every request
   * the anonymous owner's.
   */
  apiKeys?: ApiKeyLookup
  /**
   * Set when other instances share the store: cancels reach their runs through it, and this
   * instance keeps its runs' leases and flushes those of dead instances.
   */
  control?: RunControl
  /** The owners' request budgets shared with the other instances (PostgreSQL). */
  rateBudget?: RateBudget
  /** This instance's name in the runs it starts; default: host, process id and a random tag. */
  instance?: string
  /** Where requests, runs and streams are counted (`METRICS_PORT`); none: nothing is. */
  metrics?: ServerMetrics
  /**
   * Traces (a tracer provider registered by `startTracing`): runs become spans, requests too.
   * The store's calls are traced by wrapping it (`tracedStore`), as `bootServer` does.
   */
  tracing?: Tracing
  /**
   * Sends the webhooks the store's outbox holds (see `createHttpWebhookSender`); without it
   * nothing is delivered from here.
   */
  webhookSender?: WebhookSender
}

export interface SessionsApp {
  /** The HTTP application: serve it, or call `app.request()` in tests. */
  app: Hono<AppEnv>
  /** Marks the app as stopping (readiness fails), lets runs end for `graceMs`, stops the rest. */
  shutdown(graceMs: number): Promise<void>
  /** Flushes the runs whose lease expired (their instance died); returns how many. */
  flushExpiredRuns(): Promise<number>
  /** Starts the queued turns of sessions left without a run (see `SessionService.resumeQueues`). */
  resumeQueues(): Promise<void>
}

/**
 * The composition root: the domain's services over an opened store, and the HTTP app over
 * them; opens nothing and listens nowhere itself. `bootServer` calls it, and so do tests with a
 * store and agents of their own.
 *
 * @example
 * ```ts
 * const { app } = createSessionsApp({ store, agents, config, logger })
 * const response = await app.request('/health')
 * ```
 */
export function createSessionsApp(deps: AppDependencies): SessionsApp {
  const { store, agents, config, logger } = deps
  const clock = deps.clock ?? systemClock
  const instance = deps.instance ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`
  const events = deps.events ?? createInMemoryRunEvents({ retentionMs: config.eventsRetentionMs })
  const runs = new RunCoordinator({
    store,
    clock,
    logger,
    events,
    runTimeoutMs: config.runTimeoutMs,
    titleTimeoutMs: config.agentTitleTimeoutMs,
    instance,
    leaseMs: config.runLeaseMs,
    control: deps.control,
    cancelWaitMs: config.runWaitMs,
    observer: runObserver(deps),
  })
  const sessions = new SessionService({
    store,
    agents,
    clock,
    runs,
    runWaitMs: config.runWaitMs,
    bounds: { maxMessages: config.maxSessionMessages, maxTextBytes: config.maxSessionTextBytes },
    maxQueuedTurns: config.maxQueuedTurns,
  })
  const dispatcher =
    deps.webhookSender &&
    new WebhookDispatcher({
      ...config.webhooks,
      outbox: store.webhooks,
      sender: deps.webhookSender,
      clock,
      logger,
      instance,
    })
  dispatcher?.start()
  let shuttingDown = false
  const app = createHttpApp({
    sessions,
    agents,
    events,
    idempotency: store.idempotency,
    webhooks: store.webhooks,
    changes: store.changes,
    readsAtOnce: store.readsAtOnce,
    checkStore: () => store.checkReady(),
    isShuttingDown: () => shuttingDown,
    config,
    logger,
    clock,
    apiKeys: deps.apiKeys,
    rateBudget: deps.rateBudget,
    metrics: deps.metrics,
    tracing: deps.tracing !== undefined,
  })
  return {
    app,
    async shutdown(graceMs) {
      shuttingDown = true
      const started = Date.now()
      await runs.drain(graceMs)
      // The runs' ends are in the outbox: what is not delivered in the time left is after a
      // restart (or by another instance).
      await dispatcher?.stop(Math.max(0, graceMs - (Date.now() - started)))
    },
    flushExpiredRuns: () => runs.flushExpiredRuns(),
    resumeQueues: () => sessions.resumeQueues(),
  }
}

/** Who watches the runs: the traces (around), the metrics, both or nobody. */
function runObserver({ metrics, tracing }: AppDependencies): RunObserver | undefined {
  if (metrics && tracing) return bothRunObservers(tracing.runs, metrics.runs)
  return tracing?.runs ?? metrics?.runs
}

export interface BootedServer extends SessionsApp {
  store: SessionStore
  /** The metrics to serve on `config.metricsPort`, when it is set. */
  metrics: ServerMetrics | undefined
  /** Stops runs (after `config.shutdownTimeoutMs`) and closes the store. */
  close(): Promise<void>
}

/** The API keys of `API_KEYS_FILE`, if set; a bad file is a `ConfigError`, like a bad variable. */
function apiKeysOf(config: ServerConfig): ApiKeyLookup | undefined {
  if (!config.apiKeysFile) return undefined
  try {
    return loadApiKeys(config.apiKeysFile)
  } catch (error) {
    throw new ConfigError([
      `API_KEYS_FILE: ${error instanceof Error ? error.message : String(error)}`,
    ])
  }
}

/** The endpoints of `WEBHOOKS_FILE`, if set; a bad file is a `ConfigError`. */
function webhookEndpointsOf(config: ServerConfig): WebhookEndpoints | undefined {
  if (!config.webhooks.file) return undefined
  try {
    return loadWebhooksFile(config.webhooks.file)
  } catch (error) {
    throw new ConfigError([
      `WEBHOOKS_FILE: ${error instanceof Error ? error.message : String(error)}`,
    ])
  }
}

/**
 * Loads the agents file and the API keys, opens the store, applies migrations, flushes runs a
 * previous process left in progress, and builds the app: everything
 * the entry point needs before it listens. A bad agents or keys file throws a `ConfigError`
 * before anything is opened. `env` holds the providers' settings (`OPENAI_API_KEY`, ...).
 *
 * @example
 * ```ts
 * const server = await bootServer(loadConfig(process.env), createJsonLogger('info'))
 * serve({ fetch: server.app.fetch, port: 8000 })
 * ```
 */
export async function bootServer(
  config: ServerConfig,
  logger: Logger,
  clock: Clock = systemClock,
  env: Record<string, string | undefined> = process.env,
): Promise<BootedServer> {
  const agents = createAgentRegistry(
    createAgents(loadAgentsFile(config.agentsFile, env), config, logger),
  )
  const apiKeys = apiKeysOf(config)
  const metrics = config.metricsPort === undefined ? undefined : new ServerMetrics()
  // Loaded only when the OTEL_* variables ask for traces: off, no SDK module is imported.
  const tracing = config.tracing ? await startTracing() : undefined
  const endpoints = webhookEndpointsOf(config)
  const storage = openStorage(config, logger, clock, metrics, endpoints)
  const store = tracing
    ? tracedStore(storage.store, storage.kind === 'postgres' ? 'postgresql' : 'sqlite')
    : storage.store
  try {
    await store.migrate()
    if (storage.kind === 'postgres') await storage.events.start()
  } catch (error) {
    await store.close()
    await tracing?.shutdown()
    throw error
  }
  if (storage.kind === 'sqlite') {
    // One process owns a SQLite store: whatever is still `Running` was cut off by its last
    // stop. (Idempotency keys need nothing: a key is taken only with its request's work.)
    const flushed = await store.flushInterruptedRuns(
      clock.now(),
      'The server stopped during the run',
    )
    if (flushed > 0) logger.warn('flushed runs interrupted by a restart', { sessions: flushed })
    // Deliveries whose attempt the stop cut off are due again at once.
    const released = await store.webhooks.releaseClaims(clock.now())
    if (released > 0)
      logger.warn('webhook deliveries cut off by a restart are due again', { deliveries: released })
  }
  // On PostgreSQL, other instances may be running those runs: only runs whose lease expired
  // are flushed (below, then periodically).
  if (!apiKeys) logger.warn('no API_KEYS_FILE: running open, every request is anonymous')
  const sessionsApp = createSessionsApp({
    store,
    agents,
    config,
    logger,
    clock,
    apiKeys,
    metrics,
    tracing,
    ...(endpoints && {
      webhookSender: createHttpWebhookSender({
        endpoints,
        timeoutMs: config.webhooks.timeoutMs,
        allowPrivateAddresses: config.webhooks.allowPrivateAddresses,
      }),
    }),
    ...(storage.kind === 'postgres' && {
      events: storage.events,
      control: storage.events.control,
      rateBudget: storage.rateBudget,
    }),
  })
  if (storage.kind === 'postgres') await sessionsApp.flushExpiredRuns()
  // Queued turns whose run ended while no server ran it (cut off by the stop) start now.
  await sessionsApp.resumeQueues()
  return {
    ...sessionsApp,
    store,
    metrics,
    async close() {
      await sessionsApp.shutdown(config.shutdownTimeoutMs)
      await store.close()
      // The last spans (the shutdown's) are sent before the process exits.
      await tracing?.shutdown()
    },
  }
}
