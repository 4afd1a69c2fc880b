/**
 * Validates HTTP responses (and, for request-validator.ts, values) against openapi.yaml with
 * Ajv's JSON Schema 2020-12 build: `$ref`s resolve into the document's components, formats
 * (`date-time`, `uuid`, ...) are checked, and `enum`, `required` and `additionalProperties`
 * apply as the document declares them.
 *
 * @example
 * ```ts
 * const response = await app.request('/health')
 * const problems = validateResponse('get_health', response.status,
 *   response.headers.get('content-type'), await response.text(), response.headers)
 * expect(problems).toEqual([])
 * ```
 */

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import {
  type JsonSchema,
  loadSpec,
  type MediaType,
  type OpenApiDocument,
  type Operation,
  type ResponseObject,
} from './spec.ts'

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default

/** The id the document's components are registered under, for `$ref`s into them. */
const DOCUMENT_ID = 'https://contract-tests.invalid/openapi.json'

export type HeadersLike = Headers | Record<string, string | undefined>

export interface ValidateResponseOptions {
  /**
   * Documented headers that must be present even though the document does not mark them
   * `required`. Default `['X-Request-Id']`: the document's description promises it on every
   * response.
   */
  requiredHeaders?: string[]
}

/** A compiled validator for the document's schemas. */
export class SpecValidator {
  readonly document: OpenApiDocument
  readonly operations: Operation[]
  private readonly ajv: Ajv2020
  private readonly compiled = new WeakMap<object, ValidateFunction>()

  constructor(document: OpenApiDocument, operations: Operation[]) {
    this.document = document
    this.operations = operations
    this.ajv = new Ajv2020({
      allErrors: true,
      // The document's schemas carry OpenAPI's `example` and other non-JSON-Schema keywords.
      strict: false,
      validateFormats: true,
    })
    addFormats(this.ajv)
    // `format: binary` says "bytes": any body goes.
    this.ajv.addFormat('binary', true)
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components }, DOCUMENT_ID)
  }

  operation(operationId: string): Operation | undefined {
    return this.operations.find((op) => op.operationId === operationId)
  }

  /** Validates `value` against a schema of the document (inline, with `#/components` refs). */
  validate(schema: JsonSchema | undefined, value: unknown): ErrorObject[] {
    if (!schema) return []
    let validator = this.compiled.get(schema)
    if (!validator) {
      validator = this.ajv.compile(rebase(schema) as object)
      this.compiled.set(schema, validator)
    }
    return validator(value) ? [] : [...(validator.errors ?? [])]
  }

  /** Problems of a value against a schema, one line each, with `where` in front. */
  problems(where: string, schema: JsonSchema | undefined, value: unknown): string[] {
    return this.validate(schema, value).map((error) => `${where}: ${describeError(error)}`)
  }

  /**
   * Every way a response departs from the document: an undocumented status or media type, a
   * body that fails its schema, a documented header that is missing or invalid. Empty when
   * the response conforms. `body` is the text of the body (or already-parsed JSON).
   */
  validateResponse(
    operationId: string,
    status: number,
    contentType: string | null | undefined,
    body: unknown,
    headers: HeadersLike,
    options: ValidateResponseOptions = {},
  ): string[] {
    const op = this.operation(operationId)
    if (!op) return [`openapi.yaml has no operation '${operationId}'`]
    const where = `${operationId} ${status}`
    const response = responseFor(op, status)
    if (!response)
      return [
        `${where}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`,
      ]

    const problems: string[] = []
    problems.push(...this.headerProblems(where, response, headers, options))

    const content = response.content ?? {}
    if (Object.keys(content).length === 0) {
      const empty =
        body === undefined ||
        body === null ||
        body === '' ||
        (body instanceof Uint8Array && body.byteLength === 0)
      if (!empty) problems.push(`${where}: the response documents no body, but one was sent`)
      return problems
    }
    if (!contentType) {
      problems.push(`${where}: no Content-Type (documented: ${Object.keys(content).join(', ')})`)
      return problems
    }
    const match = matchMediaType(content, contentType)
    if (!match) {
      problems.push(
        `${where}: Content-Type '${contentType}' is not documented (documented: ${Object.keys(content).join(', ')})`,
      )
      return problems
    }
    const [, media] = match
    if (isJson(essence(contentType))) {
      let value = body
      if (typeof body === 'string') {
        try {
          value = JSON.parse(body)
        } catch {
          problems.push(`${where}: the body is not JSON: ${JSON.stringify(body.slice(0, 200))}`)
          return problems
        }
      }
      problems.push(...this.problems(`${where} body`, media.schema, value))
    } else if (media.schema && !isBinarySchema(media.schema)) {
      const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : body
      const contentSchema = media.schema.contentSchema as JsonSchema | undefined
      if (
        essence(contentType) === 'text/event-stream' &&
        contentSchema &&
        typeof text === 'string'
      ) {
        // Each Server-Sent Event, as `{ id, event, data }`, against the stream's contentSchema.
        parseServerSentEvents(text).forEach((event, index) => {
          if ('problem' in event) problems.push(`${where} event #${index + 1}: ${event.problem}`)
          else problems.push(...this.problems(`${where} event #${index + 1}`, contentSchema, event))
        })
      } else {
        problems.push(...this.problems(`${where} body`, media.schema, text))
      }
    }
    return problems
  }

  private headerProblems(
    where: string,
    response: ResponseObject,
    headers: HeadersLike,
    options: ValidateResponseOptions,
  ): string[] {
    const problems: string[] = []
    const required = new Set(
      (options.requiredHeaders ?? ['X-Request-Id']).map((name) => name.toLowerCase()),
    )
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      // Content-Type is described by `content`, never by `headers` (OpenAPI 3.1 §4.8.21).
      if (name.toLowerCase() === 'content-type') continue
      const value = headerValue(headers, name)
      if (value === undefined) {
        if (header.required || required.has(name.toLowerCase()))
          problems.push(`${where}: header ${name} is missing`)
        continue
      }
      problems.push(...this.problems(`${where} header ${name}`, header.schema, value))
    }
    return problems
  }
}

/**
 * The events of a `text/event-stream` body as `{ id, event, data }` (`id` a number when it is
 * one, `data` parsed as JSON), or a problem for an event whose data is not JSON. Comments and
 * `retry:` lines are left out.
 */
export function parseServerSentEvents(
  text: string,
): Array<{ id?: string | number; event: string; data: unknown } | { problem: string }> {
  const events: Array<
    { id?: string | number; event: string; data: unknown } | { problem: string }
  > = []
  for (const block of text.replaceAll('\r\n', '\n').split(/\n\n+/)) {
    let id: string | number | undefined
    let event = 'message'
    const data: string[] = []
    let fields = 0
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      fields++
      if (field === 'id') id = /^\d+$/.test(value) ? Number(value) : value
      else if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    if (fields === 0 || data.length === 0) continue
    // The AI SDK's UI message stream ends with this, its one data that is not JSON.
    if (data.join('\n') === '[DONE]') {
      events.push({ ...(id === undefined ? {} : { id }), event, data: '[DONE]' })
      continue
    }
    try {
      events.push({ ...(id === undefined ? {} : { id }), event, data: JSON.parse(data.join('\n')) })
    } catch {
      events.push({ problem: `the data of event '${event}' is not JSON: ${data.join('\n')}` })
    }
  }
  return events
}

/** The response documented for a status: exact, then `2XX`-style ranges, then `default`. */
export function responseFor(op: Operation, status: number): ResponseObject | undefined {
  return (
    op.responses[String(status)] ??
    op.responses[`${String(status)[0]}XX`] ??
    op.responses[`${String(status)[0]}xx`] ??
    op.responses.default
  )
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase()
}

export function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^[a-z]+\/[^;]+\+json$/.test(mediaType)
}

/** The documented media type a Content-Type falls under (exact, `type/*`, then `*\/*`). */
export function matchMediaType(
  content: Record<string, MediaType>,
  contentType: string,
): [string, MediaType] | undefined {
  const actual = essence(contentType)
  const [type] = actual.split('/')
  const candidates = [actual, `${type}/*`, '*/*']
  for (const candidate of candidates) {
    const found = Object.entries(content).find(([key]) => essence(key) === candidate)
    if (found) return found
  }
  return undefined
}

function isBinarySchema(schema: JsonSchema): boolean {
  return schema.type === 'string' && (schema.format === 'binary' || schema.format === 'byte')
}

function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : headers[key]
}

/** Rewrites `#/components/...` refs of an inline schema to point into the registered document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase)
  if (typeof schema !== 'object' || schema === null) return schema
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${DOCUMENT_ID}${value}`
        : rebase(value),
    ]),
  )
}

function describeError(error: ErrorObject): string {
  const path = error.instancePath || '(root)'
  const params =
    error.keyword === 'additionalProperties'
      ? ` '${(error.params as { additionalProperty: string }).additionalProperty}'`
      : error.keyword === 'enum'
        ? ` ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`
        : ''
  return `${path} ${error.message ?? error.keyword}${params}`
}

let shared: SpecValidator | undefined

/** The validator of openapi.yaml, compiled once per worker. */
export function specValidator(): SpecValidator {
  if (!shared) {
    const { document, operations } = loadSpec()
    shared = new SpecValidator(document, operations)
  }
  return shared
}

/**
 * Every way a response departs from openapi.yaml; empty when it conforms.
 *
 * @example
 * ```ts
 * validateResponse('get_session', 404, 'application/json', '{"detail":"Session not found"}',
 *   { 'X-Request-Id': 'abc' }) // []
 * ```
 */
export function validateResponse(
  operationId: string,
  status: number,
  contentType: string | null | undefined,
  body: unknown,
  headers: HeadersLike,
  options?: ValidateResponseOptions,
): string[] {
  return specValidator().validateResponse(operationId, status, contentType, body, headers, options)
}
