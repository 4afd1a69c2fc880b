import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

/** What a browser app may send: the key, the body's type, and the API's own headers. */
export const CORS_ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'Prefer',
  'X-Request-Id',
  'Last-Event-ID',
  'If-None-Match',
]

/**
 * What a browser app may read besides the basics: ids, retry advice, rate limits, and the `ETag`
 * it revalidates with (not one of the headers browsers show by default).
 */
export const CORS_EXPOSE_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'Preference-Applied',
  'Idempotent-Replayed',
  'ETag',
]

/**
 * CORS (`hono/cors`) for the browser apps at `origins` (`*` for any); `undefined` when there are
 * none, so that no CORS header is ever sent. Keys travel in `Authorization`, never in cookies:
 * credentials mode stays off.
 *
 * @example
 * ```ts
 * const policy = corsPolicy(['https://app.example.com'])
 * if (policy) app.use(policy)
 * ```
 */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 600,
  })
}
