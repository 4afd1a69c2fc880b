/**
 * The operations of openapi.yaml as the server serves them, compiled once at start: for each,
 * where it is routed and which steps run before its handler. Everything here is read from the
 * document; a change to openapi.yaml changes it.
 */
import type { OperationId } from '@uxmate/contract'
import type { OpenApiDocument } from '@uxmate/contract/document'
import type { OperationSpec } from '../validation/openapi/operation-spec.ts'

/** The security scheme openapi.yaml declares for API keys. */
const API_KEY_SCHEME = 'bearerAuth'

export interface OperationEntry {
  operationId: OperationId
  /** Hono's path: `{session_id}` becomes `:session_id`. */
  routePath: string
  /** Its first segment (`/sessions`), the prefix its sub-app is mounted under. */
  prefix: string
  /** `security` names the API key scheme: the guard (key, then rate limit) runs first. */
  takesApiKey: boolean
  /** An `Idempotency-Key` header parameter: the idempotency step runs after validation. */
  takesIdempotencyKey: boolean
  /** `x-uxmate-read-cache`: answers are kept until the owner's sessions change. */
  keepsAnswers: boolean
  /** What validation checks, compiled from the same document. */
  request: OperationSpec
}

export type OperationTable = ReadonlyMap<OperationId, OperationEntry>

function takesApiKey(document: OpenApiDocument, spec: OperationSpec): boolean {
  const security = spec.source.security ?? document.security ?? []
  return security.some((requirement) => API_KEY_SCHEME in requirement)
}

/**
 * The table of the operations compiled by the validator (`operations`, by operationId).
 *
 * @example
 * ```ts
 * const table = compileOperationTable(openapiDocument, validator.operations)
 * table.get('update_session')?.routePath // '/sessions/:session_id'
 * ```
 */
export function compileOperationTable(
  document: OpenApiDocument,
  operations: ReadonlyMap<string, OperationSpec>,
): OperationTable {
  const table = new Map<OperationId, OperationEntry>()
  for (const spec of operations.values()) {
    const routePath = spec.path.replaceAll(/\{([^}]+)\}/g, ':$1')
    const headers = spec.parameters.header?.parameters ?? []
    table.set(spec.operationId as OperationId, {
      operationId: spec.operationId as OperationId,
      routePath,
      prefix: `/${routePath.split('/')[1] ?? ''}`,
      takesApiKey: takesApiKey(document, spec),
      takesIdempotencyKey: headers.some((header) => header.name === 'Idempotency-Key'),
      keepsAnswers: spec.source['x-uxmate-read-cache'] === true,
      request: spec,
    })
  }
  return table
}
