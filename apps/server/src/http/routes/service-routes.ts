import { Hono } from 'hono'
import type { Logger } from '../../domain/logger.ts'
import type { SessionStore } from '../../domain/session-store.ts'
import { typedJson } from '../typed-json.ts'

export interface ServiceRoutesOptions {
  store: SessionStore
  /** True once shutdown has begun: the load balancer should stop sending traffic. */
  isShuttingDown: () => boolean
  logger: Logger
}

/** Liveness and readiness probes: no API key, no rate limit. */
export function serviceRoutes({ store, isShuttingDown, logger }: ServiceRoutesOptions): Hono {
  return new Hono()
    .get('/health', (c) => typedJson(c, 'get_health', 200, { status: 'ok' }))
    .get('/ready', async (c) => {
      const checks: Record<string, string> = {}
      try {
        await store.checkReady()
        checks.store = 'ok'
        checks.migrations = 'ok'
      } catch (error) {
        // The reason goes to the log: a store's message can name files and paths.
        logger.error('readiness check failed', { error: String(error) })
        checks.store = 'unavailable'
      }
      if (isShuttingDown()) checks.shutdown = 'in progress'
      const ready = Object.values(checks).every((value) => value === 'ok')
      return ready
        ? typedJson(c, 'get_readiness', 200, { status: 'ready', checks })
        : typedJson(c, 'get_readiness', 503, { status: 'not_ready', checks })
    })
}
