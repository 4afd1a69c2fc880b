import type { ServerMetrics } from '../observability/metrics.ts'
import type { Eventually, Step } from './pipeline.ts'

/**
 * Middleware, early in the app: times every request until its answer is ready (the head of an
 * event stream, not its end) and counts it by operationId and status; `none` for what is no
 * operation of openapi.yaml (the docs, the web app, unknown paths), so the label stays bounded.
 *
 * @example
 * ```ts
 * app.use(requestMetrics(metrics))
 * ```
 */
export function requestMetrics(metrics: ServerMetrics): Step {
  return (c, next) => {
    const started = performance.now()
    const count = () => {
      const operation = c.get('operation')?.operationId ?? 'none'
      // A handler that threw is answered 500 by onError, after this middleware.
      metrics.request(operation, c.error ? 500 : c.res.status, (performance.now() - started) / 1000)
    }
    // Counted whatever comes of it, as a `finally` would.
    let done: Eventually<void>
    try {
      done = next()
    } catch (error) {
      count()
      throw error
    }
    return done instanceof Promise ? done.finally(count) : count()
  }
}
