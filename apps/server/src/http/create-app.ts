import type { OperationId } from '@uxmate/contract'
import { openapiDocument } from '@uxmate/contract/document'
import { type ErrorHandler, Hono } from 'hono'
import type { ServerConfig } from '../config/config.ts'
import { ADMISSION_FULL, admission } from '../domain/admission.ts'
import type { AgentRegistry } from '../domain/agent-registry.ts'
import type { ChangeVersions } from '../domain/change-versions.ts'
import type { Clock } from '../domain/clock.ts'
import { IdempotencyKeyTaken, type IdempotencyStore } from '../domain/idempotency-store.ts'
import type { Logger } from '../domain/logger.ts'
import type { RateBudget } from '../domain/rate-budget.ts'
import type { RunEvents } from '../domain/run-events.ts'
import type { SessionService } from '../domain/session-service.ts'
import type { WebhookOutbox } from '../domain/webhook-outbox.ts'
import type { ServerMetrics } from '../observability/metrics.ts'
import { TRACER_NAME } from '../observability/tracing.ts'
import { answerHeaders } from './answer-headers.ts'
import type { AppEnv } from './app-env.ts'
import { createIdempotency } from './idempotency/idempotency.ts'
import { mountOperations } from './operations/mount-operations.ts'
import { compileOperationTable } from './operations/operation-table.ts'
import { asMiddleware, fromMiddleware, type Step } from './pipeline.ts'
import { toFeedbackEntry, toSession } from './presenters.ts'
import { createReadCache } from './read-cache.ts'
import { requestLog } from './request-log.ts'
import { requestMetrics } from './request-metrics.ts'
import { requestTracing } from './request-tracing.ts'
import { agentOperations } from './routes/agent-operations.ts'
import { branchOperations } from './routes/branch-operations.ts'
import { docsRoutes } from './routes/docs-routes.ts'
import { searchOperations } from './routes/search-operations.ts'
import { serviceOperations } from './routes/service-operations.ts'
import { sessionEventsOperation } from './routes/session-events-operation.ts'
import { sessionOperations } from './routes/session-operations.ts'
import { transferOperations } from './routes/transfer-operations.ts'
import { uiChatOperations } from './routes/ui-chat-operations.ts'
import { usageOperations } from './routes/usage-operations.ts'
import { webAppRoutes } from './routes/web-app-routes.ts'
import { webhookOperations } from './routes/webhook-operations.ts'
import type { ApiKeyLookup } from './security/api-keys.ts'
import { corsPolicy } from './security/cors-policy.ts'
import { createGuard } from './security/guard.ts'
import { crossSitePolicy, hostPolicy } from './security/origin-policy.ts'
import { createOpenApiValidator } from './validation/index.ts'

/** The operations that start a turn: refused from the moment shutdown begins. */
const TURN_OPERATIONS: ReadonlySet<OperationId> = new Set<OperationId>([
  'create_session_from_text',
  'update_session',
  'ui_chat',
])

export interface HttpAppDependencies {
  sessions: SessionService
  agents: AgentRegistry
  /** Where run events are followed (`get_session_events`). */
  events: RunEvents
  idempotency: IdempotencyStore
  /** The webhooks outbox, whose deliveries each owner may list. */
  webhooks: WebhookOutbox
  /** The store's versions of owners' sessions, when it has them: answers to reads are kept. */
  changes: ChangeVersions | undefined
  /**
   * How many kept reads' handlers run at once (`SessionStore.readsAtOnce`); the others wait
   * their turn before they make anything, at most `config.maxWaitingReads` of them (more are
   * answered 503). Absent: every one runs at once.
   */
  readsAtOnce?: number
  /** Throws unless the store answers and its schema is up to date (`/ready`). */
  checkStore: () => Promise<void>
  /** True once shutdown has begun (`/ready` answers 503). */
  isShuttingDown: () => boolean
  config: ServerConfig
  logger: Logger
  clock: Clock
  /** Who owns each API key; without it the server runs open, every request the anonymous owner's. */
  apiKeys: ApiKeyLookup | undefined
  /**
   * The owners' request budgets shared with the other instances (PostgreSQL); without it each
   * owner's budget is counted in this process's memory.
   */
  rateBudget?: RateBudget
  /** Where requests, refusals, kept reads and streams are counted; none: nothing is. */
  metrics?: ServerMetrics
  /** A server span per request (tracing is on: a tracer provider is registered). */
  tracing?: boolean
}

/**
 * The HTTP application over the domain's services: every operation of openapi.yaml routed to its
 * handler behind the steps the operation table names (guard, kept answers, validation,
 * idempotency), the docs, and the middleware every answer goes through. Builds no service and
 * opens nothing: `boot.ts` does.
 *
 * @example
 * ```ts
 * const app = createHttpApp({ sessions, agents, events, idempotency, ...rest })
 * const response = await app.request('/health')
 * ```
 */
export function createHttpApp(deps: HttpAppDependencies): Hono<AppEnv> {
  const { sessions, agents, config, logger, clock, metrics } = deps
  // What every request goes through first, operation or not, in this order.
  const frame: Step[] = [answerHeaders(() => clock.now().getTime())]
  // Around the request's log line too, which then carries the span's ids.
  if (deps.tracing) frame.push(fromMiddleware(requestTracing(TRACER_NAME)))
  frame.push(requestLog(logger))
  if (metrics) frame.push(requestMetrics(metrics))
  // Open mode answers this machine only: other hosts (DNS rebinding) and, for what changes
  // state, other origins (a plain HTML form) are refused before anything else is done.
  const open = deps.apiKeys === undefined
  frame.push(hostPolicy({ enforce: open || config.allowedHosts.length > 0, ...config }))
  if (open) frame.push(crossSitePolicy(config))
  // From the moment shutdown begins no new turn starts (runs in progress finish): a client
  // retries on the instance that replaces this one.
  const refuseTurns: Step = (c, next) => {
    if (!deps.isShuttingDown()) return next()
    return c.json({ detail: 'The server is shutting down; retry in 5 s' }, 503, {
      'Retry-After': '5',
    })
  }
  // Before any route: a browser's preflight carries no key and must not meet the guard.
  const cors = corsPolicy(config.corsOrigins)
  const corsSteps = cors ? [fromMiddleware(cors)] : []
  const everyOperation = [...frame, ...corsSteps]
  const turnOperation = [...frame, refuseTurns, ...corsSteps]

  const onError: ErrorHandler<AppEnv> = (error, c) => {
    // Not a failure: the idempotency step answers with what the key holds instead.
    if (error instanceof IdempotencyKeyTaken) return c.body(null, 409)
    logger.error('unhandled error', {
      request_id: c.get('requestId'),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
    // Never a stack trace or an internal path in a response.
    return c.json({ detail: 'Internal Server Error' }, 500)
  }
  // What is no operation (the docs, the web app, unknown paths and methods, CORS preflights):
  // the same steps first, as Hono middleware, then its routes.
  const rest = new Hono<AppEnv>()
  for (const step of frame) rest.use(asMiddleware(step))
  if (cors) rest.use(cors)
  rest.route('/', docsRoutes())
  if (config.webAppDir) rest.route('/', webAppRoutes(config.webAppDir))
  rest.notFound((c) => c.json({ detail: 'Not Found' }, 404))
  rest.onError(onError)

  // Compiled once: every step of every operation comes from the same openapi.yaml.
  const validator = createOpenApiValidator(openapiDocument, config.limits)
  const table = compileOperationTable(openapiDocument, validator.operations)
  const reads = createReadCache({
    changes: config.readCacheBytes > 0 ? deps.changes : undefined,
    maxBytes: config.readCacheBytes,
    clock,
    onLookup: metrics && ((hit) => metrics.readCache(hit)),
  })
  // A read that would wait for the store's connections waits here, before its handler makes
  // anything (`admission.ts`): measured (issue 21), the collector was most of a PostgreSQL read.
  // Past `MAX_WAITING_READS` waiting, a read is refused at once rather than held (`admission.ts`).
  const admitRead =
    deps.readsAtOnce === undefined ? undefined : admission(deps.readsAtOnce, config.maxWaitingReads)
  const idempotency = createIdempotency({
    store: deps.idempotency,
    clock,
    logger,
    async resume(c, outcome) {
      const session = await sessions.resume(c.get('owner'), outcome)
      if (session === 'nothing') return c.body(null, outcome.status as 204)
      if (session === 'not_found')
        return c.json(
          { detail: outcome.messageId === undefined ? 'Session not found' : 'Message not found' },
          404,
        )
      if ('rating' in session)
        return c.json(toFeedbackEntry(session.rating), outcome.status as 200, outcome.headers)
      return c.json(toSession(session), outcome.status as 200, outcome.headers)
    },
  })
  const guard = createGuard({
    apiKeys: deps.apiKeys,
    rateLimit:
      config.rateLimitPerSecond > 0
        ? { ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }
        : undefined,
    ...(deps.rateBudget && {
      sharedRateLimit: {
        budget: deps.rateBudget,
        batch: config.rateLimitBatch,
        onError: (error: unknown) =>
          logger.warn('could not take from the shared rate limits; counting here alone', {
            error: String(error),
          }),
      },
    }),
    authFailures:
      config.authFailuresPerMinute > 0
        ? {
            limit: {
              ratePerSecond: config.authFailuresPerMinute / 60,
              burst: config.authFailuresBurst,
            },
            maxAddresses: config.authFailureAddresses,
          }
        : undefined,
    onRefused: metrics && ((reason) => metrics.refused(reason)),
  })
  const watchStreams = metrics && (() => metrics.streamOpened())
  // The operations: each route one pipeline, the app's steps first (see `pipeline.ts`).
  const app = new Hono<AppEnv>()
  mountOperations(
    app,
    table,
    [
      ...serviceOperations({
        checkStore: deps.checkStore,
        isShuttingDown: deps.isShuttingDown,
        logger,
      }),
      ...agentOperations(agents, sessions),
      ...sessionOperations({ sessions, agents }),
      ...branchOperations({ sessions }),
      ...usageOperations(sessions),
      ...searchOperations({ sessions, agents }),
      ...webhookOperations(deps.webhooks),
      ...transferOperations({ sessions, maxFileBytes: config.limits.maxFileBytes }),
      ...uiChatOperations({
        sessions,
        events: deps.events,
        logger,
        limits: config.limits,
        keepAliveMs: config.eventsKeepAliveMs,
        watchStreams,
      }),
      sessionEventsOperation({
        sessions,
        events: deps.events,
        logger,
        keepAliveMs: config.eventsKeepAliveMs,
        watchStreams,
      }),
    ],
    {
      first: (operationId) => (TURN_OPERATIONS.has(operationId) ? turnOperation : everyOperation),
      guard,
      keptAnswers: reads.kept(),
      validate: (request) => validator.middleware(request),
      idempotency: idempotency.step,
      keep: admitRead
        ? async (c, read) => {
            const answer = await admitRead(() => reads.answer(c, read))
            if (answer !== ADMISSION_FULL) return answer
            metrics?.refused('reads_busy')
            return c.json({ detail: 'The server is busy; retry in 1 s' }, 503, {
              'Retry-After': '1',
            })
          }
        : (c, read) => reads.answer(c, read),
      nameRequests: metrics !== undefined || deps.tracing === true,
      onError,
    },
  )
  app.notFound((c) => rest.fetch(c.req.raw, c.env))
  app.onError(onError)
  return app
}
