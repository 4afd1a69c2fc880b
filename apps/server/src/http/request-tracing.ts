import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './app-env.ts'

/** How the propagator reads a request's headers (`traceparent`, `tracestate`, `baggage`). */
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
}

/**
 * Middleware, added only when tracing is on: a server span per request, in the HTTP semantic
 * conventions, a child of the caller's W3C `traceparent` when it sent one. Named by the
 * operation's route template (`GET /sessions/{session_id}`), never the raw path, once routing
 * has found it; everything the request does (the store's calls, the run it starts, the log
 * lines) happens within it.
 *
 * @example
 * ```ts
 * if (config.tracing) app.use(requestTracing(TRACER_NAME))
 * ```
 */
export function requestTracing(tracerName: string): MiddlewareHandler<AppEnv> {
  const tracer = trace.getTracer(tracerName)
  return async (c, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter)
    const url = new URL(c.req.url)
    const method = c.req.method
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': url.pathname,
          'url.scheme': url.protocol.slice(0, -1),
          'server.address': url.hostname,
          ...(url.port && { 'server.port': Number(url.port) }),
          ...(c.req.header('User-Agent') && {
            'user_agent.original': c.req.header('User-Agent'),
          }),
          'uxmate.request_id': c.get('requestId'),
        },
      },
      parent,
    )
    try {
      await context.with(trace.setSpan(parent, span), next)
    } finally {
      const operation = c.get('operation')
      if (operation) {
        span.updateName(`${method} ${operation.route}`)
        span.setAttributes({
          'http.route': operation.route,
          'uxmate.operation_id': operation.operationId,
        })
      }
      const status = c.error ? 500 : c.res.status
      span.setAttribute('http.response.status_code', status)
      if (status >= 500) {
        span.setAttribute('error.type', String(status))
        span.setStatus({ code: SpanStatusCode.ERROR })
        if (c.error) span.recordException(c.error)
      }
      span.end()
    }
  }
}
