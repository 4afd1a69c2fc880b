/**
 * A request refused before its values are validated: wrong media type (415), over a size limit
 * (413), or a body that cannot be decoded (422, in FastAPI's shape). Body readers throw it; the
 * middleware turns it into the response.
 */
import type { ValidationErrorBody, ValidationIssue } from './fastapi-errors.ts'

export type RejectionBody = { detail: string } | ValidationErrorBody

export class RequestRejection extends Error {
  constructor(
    readonly status: 413 | 415 | 422,
    readonly body: RejectionBody,
  ) {
    super(typeof body.detail === 'string' ? body.detail : 'Request validation failed')
    this.name = 'RequestRejection'
  }
}

/**
 * 413 with a `detail` that names the limit.
 *
 * @example
 * ```ts
 * throw payloadTooLarge(`At most ${limits.maxFiles} files per request`)
 * ```
 */
export function payloadTooLarge(detail: string): RequestRejection {
  return new RequestRejection(413, { detail })
}

/** 413 for a body over `maxBytes`, counted as it streamed in. */
export function bodyTooLarge(maxBytes: number): RequestRejection {
  return payloadTooLarge(`Request body is larger than the limit of ${maxBytes} bytes`)
}

/**
 * 415 naming the media type(s) the operation takes.
 *
 * @example
 * ```ts
 * throw unsupportedMediaType(['application/json']) // "Content-Type must be application/json"
 * ```
 */
export function unsupportedMediaType(expected: readonly string[]): RequestRejection {
  return new RequestRejection(415, { detail: `Content-Type must be ${expected.join(' or ')}` })
}

/** 422 with a single problem about the body as a whole (undecodable JSON or multipart). */
export function invalidBody(issue: ValidationIssue): RequestRejection {
  return new RequestRejection(422, { detail: [issue] })
}
