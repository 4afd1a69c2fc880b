/**
 * Browsers' protections for every answer, as `hono/secure-headers` sends them (helmet's set),
 * with two policies: a locked-down one for the API, one that lets the `/docs` page run. The
 * middleware's own output is taken once, at start, as plain records: copied onto each answer
 * without a `Headers` object in between (the cached-read path counts microseconds).
 */
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

/** The middleware's options (hono does not export their type). */
type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>

/**
 * The API serves JSON, event streams and downloaded files: nothing of it may run, load or be
 * framed, even if a browser were tricked into rendering an upload.
 */
export const apiSecurity: SecureHeadersOptions = {
  xFrameOptions: 'DENY',
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], sandbox: [] },
}

/**
 * `/docs` is the interactive reference, served from this server: its scripts, styles and the
 * spec come from here and nowhere else (it must work offline). It sets `style` attributes and
 * loads its logo as a `data:` image.
 */
export const docsSecurity: SecureHeadersOptions = {
  xFrameOptions: 'DENY',
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
}

/**
 * `/` is the reference web app: its own scripts and styles, the API of its own origin, and
 * files the user downloads (blob URLs) or attached (data URLs).
 */
export const appSecurity: SecureHeadersOptions = {
  xFrameOptions: 'DENY',
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
}

/**
 * The headers `secureHeaders(options)` puts on an answer.
 *
 * @example
 * ```ts
 * (await secureHeadersOf(apiSecurity))['x-frame-options'] // 'DENY'
 * ```
 */
export async function secureHeadersOf(
  options: SecureHeadersOptions,
): Promise<Readonly<Record<string, string>>> {
  const probe = new Hono().use(secureHeaders(options)).get('/', (c) => c.body(null, 204))
  return Object.fromEntries((await probe.request('/')).headers)
}

const api = await secureHeadersOf(apiSecurity)
const docs = await secureHeadersOf(docsSecurity)
const app = await secureHeadersOf(appSecurity)

/**
 * The security headers of the answer to a request for `path`.
 *
 * @example
 * ```ts
 * securityHeadersFor('/sessions')['content-security-policy'] // "default-src 'none'; ..."
 * ```
 */
export function securityHeadersFor(path: string): Readonly<Record<string, string>> {
  if (path === '/docs' || path.startsWith('/docs/')) return docs
  return path === '/' || path.startsWith('/assets/') ? app : api
}
