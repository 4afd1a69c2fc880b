import type { Logger } from '../../domain/logger.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'

export interface ServiceOperationsOptions {
  /** Throws unless the store answers and its schema is up to date. */
  checkStore: () => Promise<void>
  /** True once shutdown has begun: the load balancer should stop sending traffic. */
  isShuttingDown: () => boolean
  logger: Logger
}

/** The handlers of the liveness and readiness probes (no API key, no rate limit). */
export function serviceOperations(options: ServiceOperationsOptions): OperationHandler[] {
  const { checkStore, isShuttingDown, logger } = options
  return [
    operation('get_health', (c) => c.json({ status: 'ok' }, 200)),
    operation('get_readiness', async (c) => {
      const checks: Record<string, string> = {}
      try {
        await checkStore()
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
        ? c.json({ status: 'ready', checks }, 200)
        : c.json({ status: 'not_ready', checks }, 503)
    }),
  ]
}
