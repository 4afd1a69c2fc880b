import type { Logger } from '../domain/logger.ts'
import { afterNext, type Step } from './pipeline.ts'

/** One structured log line per request, with its id, owner, outcome and duration. */
export function requestLog(logger: Logger): Step {
  return (c, next) => {
    const started = performance.now()
    return afterNext(next(), () => {
      const status = c.res.status
      const level = status >= 500 ? 'error' : 'info'
      // At LOG_LEVEL=warn (as deployed and benched) most answers' lines are not written at all.
      if (!logger.writes(level)) return
      const fields = {
        request_id: c.get('requestId'),
        // Set once the request's API key was checked; absent for probes and refused keys.
        ...(c.get('owner') !== undefined && { owner: c.get('owner') }),
        method: c.req.method,
        path: c.req.path,
        status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      }
      logger[level]('request', fields)
    })
  }
}
