import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

/** Browsers' protections for every answer; the API's are as strict as they go. */
const common = {
  xFrameOptions: 'DENY',
  // Same-origin only for `no-cors` loads (an <img> on another site); CORS reads are unaffected.
  crossOriginResourcePolicy: 'same-origin',
} as const

/**
 * The API serves JSON, event streams and downloaded files: nothing of it may run, load or be
 * framed, even if a browser were tricked into rendering an upload.
 */
const api = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], sandbox: [] },
})

/**
 * `/docs` is Swagger UI, served from this server: its scripts, styles and the spec come from
 * here and nowhere else (it must work offline). Swagger UI sets `style` attributes and loads
 * its logo as a `data:` image.
 */
const docs = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
})

const isDocs = (path: string) => path === '/docs' || path.startsWith('/docs/')

/**
 * Security headers (`hono/secure-headers`) on every answer: a locked-down policy for the API,
 * one that lets the `/docs` page run.
 *
 * @example
 * ```ts
 * app.use(securityHeaders())
 * ```
 */
export function securityHeaders(): MiddlewareHandler {
  return (c, next) => (isDocs(c.req.path) ? docs : api)(c, next)
}
