import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../logger.ts'

/** One structured log line per request, with its id, outcome and duration. */
export function requestLog(
  logger: Logger,
): MiddlewareHandler<{ Variables: { requestId: string } }> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const status = c.res.status
    const fields = {
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    }
    if (status >= 500) logger.error('request', fields)
    else logger.info('request', fields)
  }
}
