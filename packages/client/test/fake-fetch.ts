/**
 * A `fetch` for tests: answers from a queue of canned responses and records every request it
 * was given, so tests assert on the wire (method, URL, headers, body) without a server.
 */
import type { FetchLike } from '../src/index.ts'

/** An answer: a `Response`, or a function of the request that returns or throws one. */
export type Responder = Response | ((request: Request) => Response | Promise<Response>)

export interface FakeFetch extends FetchLike {
  /** The requests received, in order; their bodies are unread. */
  requests: Request[]
}

/**
 * A fake `fetch` that answers the n-th request with the n-th responder, and the ones after the
 * last with the last.
 */
export function fakeFetch(...responders: Responder[]): FakeFetch {
  const requests: Request[] = []
  const fetch = async (request: Request) => {
    requests.push(request)
    const responder = responders[Math.min(requests.length, responders.length) - 1]
    if (responder === undefined) throw new Error('fakeFetch: no responder')
    // Responders get a copy, so the recorded request keeps its body for assertions.
    return typeof responder === 'function' ? responder(request.clone()) : responder.clone()
  }
  return Object.assign(fetch, { requests })
}

/** A JSON response, with an `X-Request-Id` like the server's. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-1', ...headers },
  })
}

/** A responder that fails like `fetch` does when nothing answers. */
export const networkFailure = (): Response => {
  throw new TypeError('fetch failed')
}

/** A responder that never answers, unless the request is aborted (like a real `fetch`). */
export const never = (request: Request): Promise<Response> =>
  new Promise((_resolve, reject) => {
    request.signal.addEventListener('abort', () => reject(request.signal.reason))
  })
