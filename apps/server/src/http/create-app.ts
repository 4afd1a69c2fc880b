import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import type { ServerConfig } from '../config/config.ts'
import type { AgentRegistry } from '../domain/agent-registry.ts'
import { type Clock, systemClock } from '../domain/clock.ts'
import type { Logger } from '../domain/logger.ts'
import type { RunControl } from '../domain/run-control.ts'
import { RunCoordinator } from '../domain/run-coordinator.ts'
import { createInMemoryRunEvents, type RunEvents } from '../domain/run-events.ts'
import { SessionService } from '../domain/session-service.ts'
import type { SessionStore } from '../domain/session-store.ts'
import { answerHeaders } from './answer-headers.ts'
import type { AppEnv } from './app-env.ts'
import { createIdempotency } from './idempotency/idempotency.ts'
import { createReadCache } from './read-cache.ts'
import { requestLog } from './request-log.ts'
import { agentRoutes } from './routes/agent-routes.ts'
import { docsRoutes } from './routes/docs-routes.ts'
import { serviceRoutes } from './routes/service-routes.ts'
import { sessionEventsRoute } from './routes/session-events-route.ts'
import { sessionRoutes } from './routes/session-routes.ts'
import type { ApiKeyLookup } from './security/api-keys.ts'
import { corsPolicy } from './security/cors-policy.ts'
import { createGuard } from './security/guard.ts'
import { createOpenApiValidator } from './validation/index.ts'

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
  /** This instance's name in the runs it starts; default: host, process id and a random tag. */
  instance?: string
}

export interface SessionsApp {
  /** The HTTP application: serve it, or call `app.request()` in tests. */
  app: Hono<AppEnv>
  /** Marks the app as stopping (readiness fails), lets runs end for `graceMs`, stops the rest. */
  shutdown(graceMs: number): Promise<void>
  /** Flushes the runs whose lease expired (their instance died); returns how many. */
  flushExpiredRuns(): Promise<number>
}

/**
 * Builds the Sessions API from its dependencies; opens nothing and listens nowhere itself.
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
  const events = deps.events ?? createInMemoryRunEvents({ retentionMs: config.eventsRetentionMs })
  const runs = new RunCoordinator({
    store,
    clock,
    logger,
    events,
    runTimeoutMs: config.runTimeoutMs,
    titleTimeoutMs: config.agentTitleTimeoutMs,
    instance: deps.instance ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`,
    leaseMs: config.runLeaseMs,
    shared: deps.control !== undefined,
    control: deps.control,
    cancelWaitMs: config.runWaitMs,
  })
  const sessions = new SessionService({
    store,
    agents,
    clock,
    runs,
    runWaitMs: config.runWaitMs,
  })
  let shuttingDown = false

  const app = new Hono<AppEnv>()
  app.use(answerHeaders())
  app.use(requestLog(logger))
  // Before any route: a browser's preflight carries no key and must not meet the guard.
  const cors = corsPolicy(config.corsOrigins)
  if (cors) app.use(cors)
  app.route('/', serviceRoutes({ store, isShuttingDown: () => shuttingDown, logger }))
  app.route('/', docsRoutes())
  // Compiled once: every route validates against the same openapi.yaml.
  const validator = createOpenApiValidator(openapiDocument, config.limits)
  const guard = createGuard({
    document: openapiDocument,
    apiKeys: deps.apiKeys,
    rateLimit:
      config.rateLimitPerSecond > 0
        ? { ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }
        : undefined,
    clock,
  })
  const idempotency = createIdempotency({
    document: openapiDocument,
    store: store.idempotency,
    clock,
    // A request is read within requestTimeoutMs and answered within runWaitMs (it waits for the
    // run at most that long): one still unanswered after both was cut off.
    abandonAfterMs: config.requestTimeoutMs + config.runWaitMs,
  })
  app.route('/', agentRoutes({ agents, guard, validator }))
  const reads = createReadCache({
    changes: config.readCacheBytes > 0 ? store.changes : undefined,
    maxBytes: config.readCacheBytes,
    clock,
  })
  app.route(
    '/',
    sessionRoutes({ sessions, store, agents, clock, guard, validator, idempotency, reads }),
  )
  app.route(
    '/',
    sessionEventsRoute({
      store,
      events,
      guard,
      validator,
      logger,
      keepAliveMs: config.eventsKeepAliveMs,
    }),
  )
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404))
  app.onError((error, c) => {
    logger.error('unhandled error', {
      request_id: c.get('requestId'),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
    // Never a stack trace or an internal path in a response.
    return c.json({ detail: 'Internal Server Error' }, 500)
  })

  return {
    app,
    async shutdown(graceMs) {
      shuttingDown = true
      await runs.drain(graceMs)
    },
    flushExpiredRuns: () => runs.flushExpiredRuns(),
  }
}
