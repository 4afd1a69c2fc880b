import type { MiddlewareHandler } from 'hono'
import type { ServerMetrics } from '../observability/metrics.ts'
import type { AppEnv } from './app-env.ts'

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
export function requestMetrics(metrics: ServerMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      const operation = c.get('operation')?.operationId ?? 'none'
      // A handler that threw is answered 500 by onError, after this middleware.
      metrics.request(operation, c.error ? 500 : c.res.status, (performance.now() - started) / 1000)
    }
  }
}
