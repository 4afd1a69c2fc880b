/**
 * Conditional reads, transparently: the client keeps the last answer to each `GET` that carried
 * an `ETag`, sends that tag back as `If-None-Match`, and turns the server's `304 Not Modified`
 * into the kept answer, so a caller that polls (a sidebar) gets a normal `200` while the server
 * sends a header and no body.
 *
 * An openapi-fetch middleware, the first one of the client: middleware added with `use` sees the
 * request with its `If-None-Match` and the wire's `304`.
 */
import type { Middleware } from 'openapi-fetch'

/** Options of the client's cache of answers (`cache` of `createUxmateClient`). */
export interface ConditionalCacheOptions {
  /** The most bytes of answers kept at once; the least recently used go first. Default 4 MiB. */
  maxBytes?: number
}

interface Kept {
  etag: string
  body: ArrayBuffer
  headers: [string, string][]
}

/** The default bound of the answers a client keeps. */
export const defaultCacheBytes = 4 * 2 ** 20

/** One answer larger than this share of the bound is not kept (it would evict everything). */
const MAX_SHARE = 4

/** Method, URL and credentials: one caller's answer is never another's. */
const keyOf = (request: Request) =>
  `${request.method} ${request.url}\n${request.headers.get('Authorization') ?? ''}`

/**
 * The middleware that keeps answers and revalidates them, bounded to `maxBytes`.
 *
 * @example
 * ```ts
 * raw.use(conditionalCache({ maxBytes: 8 * 2 ** 20 }))
 * ```
 */
export function conditionalCache(options: ConditionalCacheOptions = {}): Middleware {
  const maxBytes = options.maxBytes ?? defaultCacheBytes
  // Insertion order is recency order: a use moves its entry to the end.
  const kept = new Map<string, Kept>()
  let bytes = 0
  // What each request in flight revalidates, by openapi-fetch's request id: taken at sending, so
  // an eviction meanwhile does not lose the body a 304 stands for.
  const revalidating = new Map<string, Kept>()

  const drop = (key: string) => {
    const entry = kept.get(key)
    if (!entry) return
    kept.delete(key)
    bytes -= entry.body.byteLength
  }
  const keep = (key: string, entry: Kept) => {
    drop(key)
    if (entry.body.byteLength > maxBytes / MAX_SHARE) return
    kept.set(key, entry)
    bytes += entry.body.byteLength
    for (const oldKey of kept.keys()) {
      if (bytes <= maxBytes) break
      drop(oldKey)
    }
  }

  return {
    onRequest({ request, id }) {
      // A caller's own If-None-Match is theirs: they get the 304.
      if (request.method !== 'GET' || request.headers.has('If-None-Match')) return undefined
      const key = keyOf(request)
      const entry = kept.get(key)
      if (!entry) return undefined
      kept.delete(key)
      kept.set(key, entry)
      revalidating.set(id, entry)
      request.headers.set('If-None-Match', entry.etag)
      return request
    },

    async onResponse({ request, response, id }) {
      const entry = revalidating.get(id)
      revalidating.delete(id)
      if (entry && response.status === 304) {
        // The kept answer, its headers updated by the 304's (RFC 9110, section 15.4.5).
        const headers = new Headers(entry.headers)
        for (const [name, value] of response.headers) headers.set(name, value)
        return new Response(entry.body.slice(0), { status: 200, statusText: 'OK', headers })
      }
      const etag = response.headers.get('ETag')
      if (request.method !== 'GET' || response.status !== 200 || !etag || !response.body)
        return undefined
      const length = Number(response.headers.get('Content-Length') ?? Number.NaN)
      if (length > maxBytes / MAX_SHARE) return undefined
      const body = await response.clone().arrayBuffer()
      keep(keyOf(request), { etag, body, headers: [...response.headers] })
      return undefined
    },

    onError({ id }) {
      revalidating.delete(id)
      return undefined
    },
  }
}
