// Two checks that keep a server without API keys to the people on its own machine. A web page
// on another site can make a browser send requests to 127.0.0.1, and through DNS rebinding
// (its own name resolving to 127.0.0.1) even read the answers: the `Host` it sends is then its
// own name, which `hostPolicy` refuses. Without rebinding, it can still post a plain HTML form,
// which needs no CORS permission to be sent: `crossSitePolicy` refuses what changes state when
// the browser says the request comes from another origin.
import { isLoopbackHost } from '../../config/loopback.ts'
import type { Step } from '../pipeline.ts'

/** The probes answer any `Host`: orchestrators call them by the instance's address. */
const PROBES = new Set(['/health', '/ready'])

/** How many `Host` values' verdicts are kept at once. */
const MAX_VERDICTS = 64

/** Methods that change nothing: a cross-site page cannot read their answers without CORS. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A `Host` value split into its lowercase name (brackets kept for IPv6) and port. */
function splitHost(value: string): { name: string; port: string | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value.trim().toLowerCase())
  if (!match?.[1]) return undefined
  return { name: match[1], port: match[2] }
}

/**
 * Whether `host` (a `Host` header) is one the server answers for: a loopback name, with any
 * port, or an entry of `allowed` (`name` for any port, `name:port` for that one, `*` for all).
 *
 * @example
 * ```ts
 * isAllowedHost('127.0.0.1:8000', []) // true
 * isAllowedHost('attacker.example:8000', []) // false
 * isAllowedHost('sessions.example.com', ['sessions.example.com']) // true
 * ```
 */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true
  const sent = splitHost(host)
  if (!sent) return false
  if (isLoopbackHost(sent.name)) return true
  return allowed.some((entry) => {
    const wanted = splitHost(entry)
    return wanted?.name === sent.name && (wanted.port === undefined || wanted.port === sent.port)
  })
}

/**
 * Refuses with `421` a request whose `Host` the server does not answer for, when `enforce`d (in
 * open mode, or once `ALLOWED_HOSTS` is set); the probes are answered whatever the `Host`. A
 * request without `Host` (HTTP/1.0, in-process calls) names no other site and is served.
 *
 * @example
 * ```ts
 * const steps = [hostPolicy({ enforce: true, allowedHosts: ['sessions.example.com'] })]
 * ```
 */
export function hostPolicy(options: { enforce: boolean; allowedHosts: readonly string[] }): Step {
  const { enforce, allowedHosts } = options
  if (!enforce) return (_c, next) => next()
  // The verdict for each `Host` value seen lately: clients send the same few again and again,
  // and checking one parses it and the loopback forms (~2% of a kept read's CPU, profiled).
  // Bounded: it starts over when full, so that made-up values cannot grow it.
  const verdicts = new Map<string, boolean>()
  const served = (host: string) => {
    let verdict = verdicts.get(host)
    if (verdict === undefined) {
      if (verdicts.size >= MAX_VERDICTS) verdicts.clear()
      verdict = isAllowedHost(host, allowedHosts)
      verdicts.set(host, verdict)
    }
    return verdict
  }
  return (c, next) => {
    const host = c.req.header('host')
    if (host === undefined || PROBES.has(c.req.path) || served(host)) return next()
    return c.json(
      { detail: `Host '${host.slice(0, 100)}' is not served here; list it in ALLOWED_HOSTS` },
      421,
    )
  }
}

/**
 * Whether `origin` (an `Origin` header) is the server's own for a request sent to `host`: the
 * same scheme's default port is the same origin, written or not.
 */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    const from = new URL(origin)
    return from.host === new URL(`${from.protocol}//${host}`).host
  } catch {
    return false
  }
}

/**
 * In open mode, refuses with `403` a request that changes state and that a browser marks as
 * coming from another origin: an `Origin` neither the server's own nor listed in `corsOrigins`,
 * or `Sec-Fetch-Site: cross-site` from an origin not listed. Requests without those headers
 * (curl, SDKs, servers) are served. `*` in `corsOrigins` does not lift the check: only origins
 * named one by one do.
 *
 * @example
 * ```ts
 * if (!apiKeys) steps.push(crossSitePolicy({ corsOrigins: config.corsOrigins }))
 * ```
 */
export function crossSitePolicy(options: { corsOrigins: readonly string[] }): Step {
  const listed = new Set(options.corsOrigins.filter((origin) => origin !== '*'))
  return (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next()
    const origin = c.req.header('origin')
    const site = c.req.header('sec-fetch-site')?.trim().toLowerCase()
    const known = origin !== undefined && listed.has(origin)
    const foreign =
      (origin !== undefined && !known && !isSameOrigin(origin, c.req.header('host'))) ||
      (site === 'cross-site' && !known)
    if (!foreign) return next()
    const from = origin === undefined ? 'another site' : `'${origin.slice(0, 100)}'`
    return c.json(
      {
        detail: `Requests from ${from} are refused while the server runs without API keys; list the origin in CORS_ORIGINS or use an API key`,
      },
      403,
    )
  }
}
