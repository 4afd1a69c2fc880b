/**
 * Browsers' protections for every answer (helmet's set, as `hono/secure-headers` sends it),
 * written out here as plain records: they are the same for every answer of a kind, so they are
 * built once and copied onto each answer without a `Headers` object in between.
 */

/** What every answer carries, API or page. */
const common: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Same-origin only for `no-cors` loads (an <img> on another site); CORS reads are unaffected.
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
}

/**
 * The API serves JSON, event streams and downloaded files: nothing of it may run, load or be
 * framed, even if a browser were tricked into rendering an upload.
 */
const api: Readonly<Record<string, string>> = {
  ...common,
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
}

/**
 * `/docs` is Swagger UI, served from this server: its scripts, styles and the spec come from
 * here and nowhere else (it must work offline). Swagger UI sets `style` attributes and loads
 * its logo as a `data:` image.
 */
const docs: Readonly<Record<string, string>> = {
  ...common,
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
}

/**
 * The security headers of the answer to a request for `path`: a locked-down policy for the
 * API, one that lets the `/docs` page run.
 *
 * @example
 * ```ts
 * securityHeadersFor('/sessions')['Content-Security-Policy'] // "default-src 'none'; ..."
 * ```
 */
export function securityHeadersFor(path: string): Readonly<Record<string, string>> {
  return path === '/docs' || path.startsWith('/docs/') ? docs : api
}
