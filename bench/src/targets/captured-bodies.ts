/** One of our server's answers, as the limit server replays it. */
export interface CapturedResponse {
  body: string
  /** Our headers, less those Node writes itself (date, length, connection) and the request id. */
  headers: Record<string, string>
}

/** Our server's answer to each read scenario. */
export interface CapturedBodies {
  /** `GET /sessions/{id}` of the ten-message session. */
  get: CapturedResponse
  /** `GET /sessions?agent_id=echo`: a page of 50. */
  list: CapturedResponse
  /** `GET /sessions/grouped?limit=100`. */
  grouped: CapturedResponse
  /** `GET /sessions/grouped?limit=100&pinned_group=true`. */
  grouped_pinned: CapturedResponse
}

/** Headers that are per response or per connection, not part of what is replayed. */
const NOT_REPLAYED = new Set([
  'date',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'x-request-id',
])

/**
 * The headers of `response` that the limit server should send as they are.
 *
 * @example
 * ```ts
 * replayedHeaders(new Headers({ 'content-type': 'application/json', date: 'x' })) // { 'content-type': ... }
 * ```
 */
export function replayedHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {}
  headers.forEach((value, name) => {
    if (!NOT_REPLAYED.has(name.toLowerCase())) kept[name] = value
  })
  return kept
}
