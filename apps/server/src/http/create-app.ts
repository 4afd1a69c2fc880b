import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import type { AgentRegistry } from '../agents/agent-registry.ts'
import type { ServerConfig } from '../config.ts'
import { type Clock, systemClock } from '../domain/clock.ts'
import { RunCoordinator } from '../domain/run-coordinator.ts'
import { createInMemoryRunEvents, type RunEvents } from '../domain/run-events.ts'
import { SessionService } from '../domain/session-service.ts'
import type { Logger } from '../logger.ts'
import type { SessionStore } from '../storage/session-store.ts'
import { requestLog } from './request-log.ts'
import { agentRoutes } from './routes/agent-routes.ts'
import { docsRoutes } from './routes/docs-routes.ts'
import { serviceRoutes } from './routes/service-routes.ts'
import { sessionEventsRoute } from './routes/session-events-route.ts'
import { sessionRoutes } from './routes/session-routes.ts'
import { createOpenApiValidator } from './validation/index.ts'

export interface AppDependencies {
  store: SessionStore
  agents: AgentRegistry
  config: ServerConfig
  logger: Logger
  clock?: Clock
  /** Where run events are published and followed; default: in this process's memory. */
  events?: RunEvents
}

export interface SessionsApp {
  /** The HTTP application: serve it, or call `app.request()` in tests. */
  app: Hono
  /** Marks the app as stopping (readiness fails), lets runs end for `graceMs`, stops the rest. */
  shutdown(graceMs: number): Promise<void>
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
  })
  const sessions = new SessionService({
    store,
    agents,
    clock,
    runs,
    runWaitMs: config.runWaitMs,
  })
  let shuttingDown = false

  const app = new Hono()
  app.use(requestId({ limitLength: 128 }))
  app.use(requestLog(logger))
  app.route('/', serviceRoutes({ store, isShuttingDown: () => shuttingDown }))
  app.route('/', docsRoutes())
  // Compiled once: every route validates against the same openapi.yaml.
  const validator = createOpenApiValidator(openapiDocument, config.limits)
  app.route('/', agentRoutes({ agents, validator }))
  app.route('/', sessionRoutes({ sessions, store, agents, clock, validator }))
  app.route(
    '/',
    sessionEventsRoute({ store, events, validator, logger, keepAliveMs: config.eventsKeepAliveMs }),
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
  }
}
