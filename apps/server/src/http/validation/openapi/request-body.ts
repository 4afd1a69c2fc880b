/**
 * Picks the body reader by the request's Content-Type, among those the operation declares.
 */
import type { IncomingMessage } from 'node:http'
import type { BodyLimits } from '../../../config/config.ts'
import { readBody } from '../body/body-stream.ts'
import { readJsonBody } from '../body/json-body.ts'
import { mediaTypeOf } from '../body/media-type.ts'
import { readMultipartBody } from '../body/multipart.ts'
import type { UploadGate } from '../body/upload-gate.ts'
import { unsupportedMediaType } from '../errors/request-rejection.ts'
import type { BodySpec } from './operation-spec.ts'
import type { ReadBody } from './validate-request.ts'

/**
 * Reads the body `spec` describes (of an operation that takes one), uploads through `gate` (from
 * Node's `incoming` request when there is one), or throws a {@link RequestRejection}: 415 for a Content-Type
 * the operation does not take, 413 over a limit, 422 when the body cannot be decoded.
 *
 * @example
 * ```ts
 * const body = await readRequestBody(operation.body, c.req.raw, limits)
 * ```
 */
export async function readRequestBody(
  spec: BodySpec,
  request: Request,
  limits: BodyLimits,
  gate?: UploadGate,
  incoming?: IncomingMessage,
): Promise<ReadBody> {
  const mediaType = mediaTypeOf(request.headers.get('content-type'))
  // Exactly the media types openapi.yaml declares: anything else is a 415, as documented.
  if (spec.json && mediaType === 'application/json') {
    const maxBytes = spec.json.carriesFiles ? limits.maxRequestBytes : limits.maxJsonBytes
    return { kind: 'json', body: await readJsonBody(request, maxBytes) }
  }
  // No Content-Type and no body is a missing body (422), as FastAPI says; with a body, a 415.
  if (
    spec.json &&
    mediaType === '' &&
    (await readBody(request, limits.maxJsonBytes)).length === 0
  ) {
    return { kind: 'json', body: { present: false } }
  }
  if (spec.multipart && mediaType === 'multipart/form-data') {
    const names = new Set(spec.multipart.fields.map((f) => f.name))
    return {
      kind: 'form',
      entries: await readMultipartBody(request, limits, names, gate, incoming),
    }
  }
  throw unsupportedMediaType(spec.mediaTypes)
}
