/**
 * Request validation driven by openapi.yaml: compiled once when the server starts, applied per
 * route as Hono middleware, answering like FastAPI when a request does not fit.
 */
import type { IncomingMessage } from 'node:http'
import type { OperationId } from '@uxmate/contract'
import type { OpenApiDocument } from '@uxmate/contract/document'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { Context, Env, MiddlewareHandler } from 'hono'
import type { BodyLimits } from '../../../config/config.ts'
import { formRelease } from '../body/multipart.ts'
import { UploadGate } from '../body/upload-gate.ts'
import { toContractBody } from '../errors/fastapi-errors.ts'
import { canonicalUuid } from '../errors/format-errors.ts'
import { RequestRejection } from '../errors/request-rejection.ts'
import { compileOperations, type OperationSpec } from './operation-spec.ts'
import { readRequestBody } from './request-body.ts'
import { DOCUMENT_ID } from './schema-refs.ts'
import type { ValidatedInput } from './types.ts'
import { type ReadBody, type ValidatedValues, validateRequest } from './validate-request.ts'

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default

const NO_BODY: ReadBody = { kind: 'none' }
const NO_HEADERS = new Headers()
const NO_RELEASE = () => undefined

/** The compiled validators of a document. */
export interface OpenApiValidator {
  /** Every operation of the document by operationId, compiled once: the operation table's source. */
  readonly operations: ReadonlyMap<string, OperationSpec>
  /**
   * Middleware validating a request against `operation`: path parameters, query, headers and
   * body together. On success `c.req.valid('param' | 'query' | 'header' | 'json' | 'form')`
   * holds the typed, coerced values (schema defaults applied); otherwise it answers 422 with
   * every problem (FastAPI's shape), or 413/415 for a body over a limit or of the wrong type.
   */
  middleware(operation: OperationSpec): MiddlewareHandler
  /** The middleware of operation `operationId`, typed; throws at once for one the document lacks. */
  for<Op extends OperationId, P extends string = string, E extends Env = Env>(
    operationId: Op,
  ): MiddlewareHandler<E, P, ValidatedInput<Op>>
}

function createAjv(document: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    // openapi.yaml's schemas carry `example`, `description` and OpenAPI-only keywords.
    strict: false,
    // Conversion from strings is done beforehand, the pydantic way (see coerce.ts).
    coerceTypes: false,
    useDefaults: true,
    // Errors then carry the offending value and its schema, needed for pydantic's messages.
    verbose: true,
  })
  addFormats(ajv)
  // The hyphenated form only, in any case (ajv-formats would also take a `urn:uuid:` prefix).
  ajv.addFormat('uuid', (text: string) => canonicalUuid(text) !== undefined)
  // `#/components/...` references resolve inside this one registered schema.
  ajv.addSchema({ components: document.components ?? {} }, DOCUMENT_ID)
  return ajv
}

/**
 * Compiles every operation of `document` (by operationId) into request validators.
 *
 * @example
 * ```ts
 * const validator = createOpenApiValidator(openapiDocument, config.limits)
 * app.put('/sessions/:session_id', validator.for('update_session'), (c) => {
 *   const { session_id } = c.req.valid('param')
 *   const { text_prompt } = c.req.valid('json')
 *   return c.json({ session_id, text_prompt })
 * })
 * ```
 */
export function createOpenApiValidator(
  document: OpenApiDocument,
  limits: BodyLimits,
): OpenApiValidator {
  const operations = compileOperations(document, createAjv(document))
  // One budget for the uploads of every request this validator reads (see upload-gate.ts).
  const gate =
    limits.uploadBufferBytes === undefined ? undefined : new UploadGate(limits.uploadBufferBytes)

  function middleware(operation: OperationSpec): MiddlewareHandler {
    return async (c, next) => {
      const validated = await validate(c, operation)
      if (validated instanceof Response) return validated
      const { values, release } = validated
      for (const [target, value] of Object.entries(values)) {
        c.req.addValidatedData(target as keyof typeof values, value as object)
      }
      try {
        await next()
      } finally {
        // The handler normally hands the files to the domain, which says when they are stored;
        // this is for those it did not store (a refusal, an error, a route that only reads them).
        release()
      }
    }
  }

  // A function of its own so that the body as read (every part, every file's bytes) is
  // unreachable once validated: the route may hand the files on and let them go while the
  // request still waits, e.g. for a run. `release` lets go of the files' memory (see
  // held-upload.ts) and holds none of it once called.
  async function validate(
    c: Context,
    operation: OperationSpec,
  ): Promise<Response | { values: ValidatedValues; release: () => void }> {
    let body: ReadBody = NO_BODY
    if (operation.body) {
      try {
        body = await readRequestBody(
          operation.body,
          c.req.raw,
          limits,
          gate,
          (c.env as { incoming?: IncomingMessage } | undefined)?.incoming,
        )
      } catch (error) {
        if (error instanceof RequestRejection) return c.json(error.body, error.status)
        throw error
      }
    }
    // Hono decodes every parameter and splits the query anew on each call, and the request's
    // Headers are built on first use: each only when the operation has such parameters.
    const { path, query, header } = operation.parameters
    const raw = {
      path: path ? c.req.param() : {},
      query: query ? c.req.queries() : {},
      headers: header ? c.req.raw.headers : NO_HEADERS,
    }
    const { values, issues } = validateRequest(document, operation, raw, body)
    const release = body.kind === 'form' ? formRelease(body.entries) : NO_RELEASE
    if (issues.length === 0) return { values, release }
    release()
    return c.json(toContractBody(issues), 422)
  }

  return {
    operations,
    middleware,
    for: ((operationId: string) => {
      const operation = operations.get(operationId)
      if (!operation) throw new Error(`openapi.yaml has no operation '${operationId}'`)
      return middleware(operation)
    }) as OpenApiValidator['for'],
  }
}
