import { createHash } from 'node:crypto'

/** What identifies a request for `Idempotency-Key`: everything that changes what it does. */
export interface FingerprintInput {
  method: string
  path: string
  /** The validated JSON body or form; `undefined` when the operation takes none. */
  body: unknown
  /**
   * The query's parameters (e.g. `on_busy`), each with its values in order; none or empty for
   * a request without a query, whose fingerprint is then what it was before queries counted,
   * so that keys stored by an earlier release still match their retries.
   */
  query?: Record<string, string[]>
}

/** An uploaded file, as a form's `files` hold it after validation. */
interface UploadedLike {
  name: string
  contentType: string
  sha256: string
  chunks: Uint8Array[]
}

function isUpload(value: unknown): value is UploadedLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as UploadedLike).chunks) &&
    typeof (value as UploadedLike).sha256 === 'string'
  )
}

/**
 * JSON with object keys sorted at every level, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the
 * same request; a file stands for its SHA-256, name and type, not its bytes. Bodies reach this
 * already parsed, and JSON ones no deeper than the parser allows (see json-body.ts).
 *
 * @example
 * ```ts
 * canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' }) // '{"a":"x","b":[2,{"c":0,"d":1}]}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (isUpload(value))
    return canonicalJson({
      name: value.name,
      content_type: value.contentType,
      sha256: value.sha256,
    })
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * The SHA-256 of a request's method, path, canonical body and query: equal for a retry of the
 * same request, different as soon as any of them differs.
 *
 * @example
 * ```ts
 * requestFingerprint({ method: 'PUT', path: '/sessions/0f8a…', body: { text_prompt: 'Hi' } })
 * ```
 */
export function requestFingerprint(input: FingerprintInput): string {
  return createHash('sha256')
    .update(
      canonicalJson([
        input.method.toUpperCase(),
        input.path,
        input.body ?? null,
        ...(input.query && Object.keys(input.query).length > 0 ? [input.query] : []),
      ]),
    )
    .digest('hex')
}
