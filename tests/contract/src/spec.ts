/**
 * openapi.yaml, read from disk on every run: the contract suite checks against the file itself,
 * not against the generated `@uxmate/contract` (which `pnpm generate:check` keeps in step).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export type JsonSchema = Record<string, unknown>

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
  example?: unknown
}

export interface MediaType {
  schema?: JsonSchema
  example?: unknown
  examples?: Record<string, { value?: unknown; $ref?: string }>
  encoding?: Record<string, { contentType?: string }>
}

export interface HeaderObject {
  required?: boolean
  schema?: JsonSchema
  example?: unknown
}

export interface ResponseObject {
  description: string
  headers?: Record<string, HeaderObject>
  content?: Record<string, MediaType>
}

export interface RequestBody {
  required?: boolean
  content: Record<string, MediaType>
}

/** One operation of the document, with every `$ref` of its own objects resolved. */
export interface Operation {
  operationId: string
  method: string
  /** The path template, e.g. `/sessions/{session_id}`. */
  path: string
  /** Path-level and operation-level parameters together (the operation's win). */
  parameters: Parameter[]
  requestBody: RequestBody | undefined
  /** Status (as written in the document, e.g. `200`) -> response. */
  responses: Record<string, ResponseObject>
}

export interface OpenApiDocument {
  openapi: string
  jsonSchemaDialect?: string
  paths: Record<string, Record<string, unknown>>
  components: Record<string, Record<string, unknown>>
  [key: string]: unknown
}

/**
 * Where openapi.yaml is: the repository root. `CONTRACT_OPENAPI` points the suite at another
 * copy (e.g. `git show HEAD:openapi.yaml > /tmp/openapi.yaml` while the file is mid-edit).
 */
export const specPath =
  process.env.CONTRACT_OPENAPI ?? fileURLToPath(new URL('../../../openapi.yaml', import.meta.url))

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/** Follows a local `$ref` (`#/components/...`) to the object it names. */
export function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, not '${ref}'`)
  let node: unknown = document
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (typeof node !== 'object' || node === null || !(key in node))
      throw new Error(`openapi.yaml has no '${ref}'`)
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

/** An OpenAPI object that may be a `$ref` to a component (parameters, responses, headers...). */
function deref<T>(document: OpenApiDocument, value: unknown): T {
  let current = value
  const seen = new Set<string>()
  while (typeof current === 'object' && current !== null && '$ref' in current) {
    const ref = (current as { $ref: string }).$ref
    if (seen.has(ref)) throw new Error(`Circular $ref '${ref}'`)
    seen.add(ref)
    current = resolvePointer(document, ref)
  }
  return current as T
}

function resolveResponse(document: OpenApiDocument, value: unknown): ResponseObject {
  const response = deref<ResponseObject>(document, value)
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([name, header]) => [
      name,
      deref<HeaderObject>(document, header),
    ]),
  )
  const content = Object.fromEntries(
    Object.entries(response.content ?? {}).map(([type, media]) => [
      type,
      resolveMedia(document, media),
    ]),
  )
  return { ...response, headers, content }
}

function resolveMedia(document: OpenApiDocument, media: MediaType): MediaType {
  if (!media.examples) return media
  const examples = Object.fromEntries(
    Object.entries(media.examples).map(([name, example]) => [
      name,
      deref<{ value?: unknown }>(document, example),
    ]),
  )
  return { ...media, examples }
}

/** Parses openapi.yaml (or another document's text). */
export function parseDocument(text: string): OpenApiDocument {
  const document = parse(text) as OpenApiDocument
  document.components ??= {}
  return document
}

/** Every operation of a document, in the document's order. */
export function listOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const shared = (item.parameters as unknown[] | undefined) ?? []
    for (const method of methods) {
      const raw = item[method] as Record<string, unknown> | undefined
      if (!raw) continue
      const operationId = raw.operationId as string | undefined
      if (!operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`)
      const own = ((raw.parameters as unknown[] | undefined) ?? []).map((p) =>
        deref<Parameter>(document, p),
      )
      const inherited = shared
        .map((p) => deref<Parameter>(document, p))
        .filter((p) => !own.some((o) => o.name === p.name && o.in === p.in))
      const requestBody = raw.requestBody
        ? deref<RequestBody>(document, raw.requestBody)
        : undefined
      const responses = Object.fromEntries(
        Object.entries((raw.responses as Record<string, unknown>) ?? {}).map(([status, r]) => [
          status,
          resolveResponse(document, r),
        ]),
      )
      operations.push({
        operationId,
        method,
        path,
        parameters: [...inherited, ...own],
        requestBody: requestBody && {
          ...requestBody,
          content: Object.fromEntries(
            Object.entries(requestBody.content).map(([t, m]) => [t, resolveMedia(document, m)]),
          ),
        },
        responses,
      })
    }
  }
  return operations
}

/**
 * A response's documented headers as its examples show them (the header's `example`, else its
 * schema's `const` or `example`), for building a documented response without a server.
 */
export function exampleHeaders(response: ResponseObject): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = header.example ?? header.schema?.const ?? header.schema?.example
    if (value !== undefined) headers[name] = String(value)
  }
  return headers
}

/** Every documented (operationId, status) pair, e.g. `get_session 404`. */
export function documentedPairs(operations: Operation[]): Array<[string, string]> {
  return operations.flatMap((op) =>
    Object.keys(op.responses).map((status): [string, string] => [op.operationId, status]),
  )
}

let cached: { document: OpenApiDocument; operations: Operation[] } | undefined

/** openapi.yaml, parsed once per worker. */
export function loadSpec(): { document: OpenApiDocument; operations: Operation[] } {
  if (!cached) {
    const document = parseDocument(readFileSync(specPath, 'utf8'))
    cached = { document, operations: listOperations(document) }
  }
  return cached
}

/** The operation with this id, or an error naming it. */
export function operation(operationId: string): Operation {
  const found = loadSpec().operations.find((op) => op.operationId === operationId)
  if (!found) throw new Error(`openapi.yaml has no operation '${operationId}'`)
  return found
}

/**
 * A schema with every local `$ref` inlined (for generators, which want no references). The
 * document has no recursive schemas; a cycle is an error rather than an endless loop.
 */
export function inlineRefs(
  document: OpenApiDocument,
  schema: unknown,
  stack: string[] = [],
): unknown {
  if (Array.isArray(schema)) return schema.map((item) => inlineRefs(document, item, stack))
  if (typeof schema !== 'object' || schema === null) return schema
  const object = schema as Record<string, unknown>
  if (typeof object.$ref === 'string') {
    const ref = object.$ref
    if (stack.includes(ref)) throw new Error(`Recursive schema at '${ref}'`)
    const { $ref: _ref, ...siblings } = object
    const target = inlineRefs(document, resolvePointer(document, ref), [...stack, ref])
    return Object.keys(siblings).length === 0
      ? target
      : { ...(target as object), ...(inlineRefs(document, siblings, stack) as object) }
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [key, inlineRefs(document, value, stack)]),
  )
}
