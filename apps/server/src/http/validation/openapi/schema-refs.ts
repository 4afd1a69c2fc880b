/**
 * `$ref` handling. Ajv resolves references itself once the document is registered under
 * {@link DOCUMENT_ID}; this module only rewrites local references for that, and follows them
 * where the validator must read a schema itself (parameter objects, coercion, form fields).
 */
import type { JsonSchema, OpenApiDocument } from '@uxmate/contract/document'

/** The id the whole document is registered under in Ajv. */
export const DOCUMENT_ID = 'openapi'

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Follows a local JSON pointer (`#/components/schemas/X`) into the document. */
export function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`Only local $refs are supported, got '${ref}'`)
  let node: unknown = document
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    node =
      isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined
    if (node === undefined) throw new Error(`Unresolvable $ref '${ref}'`)
  }
  return node
}

/**
 * Follows `$ref`s until an object without one. Siblings of a `$ref` (JSON Schema 2020-12 allows
 * them, e.g. a `default` next to it) win over the referenced object's own keywords.
 *
 * @example
 * ```ts
 * derefObject(document, { $ref: '#/components/schemas/AgentId' }) // { type: 'string', ... }
 * ```
 */
export function derefObject<T = JsonSchema>(document: OpenApiDocument, value: unknown): T {
  return memoized(derefs, document, value, () => resolveObject(document, value)) as T
}

// The document never changes once loaded, and requests ask about the same few schemas again
// and again: each answer is worked out once per (document, schema) object. Callers only read
// what they get.
const derefs = new WeakMap<object, WeakMap<object, unknown>>()
const typeSets = new WeakMap<object, WeakMap<object, unknown>>()

function memoized(
  cache: WeakMap<object, WeakMap<object, unknown>>,
  document: OpenApiDocument,
  schema: unknown,
  work: () => unknown,
): unknown {
  if (typeof schema !== 'object' || schema === null) return work()
  let byDocument = cache.get(document)
  if (!byDocument) {
    byDocument = new WeakMap()
    cache.set(document, byDocument)
  }
  if (byDocument.has(schema)) return byDocument.get(schema)
  const result = work()
  byDocument.set(schema, result)
  return result
}

function resolveObject(document: OpenApiDocument, value: unknown): JsonSchema {
  let current: unknown = value
  const seen = new Set<string>()
  let siblings: Record<string, unknown> = {}
  while (isRecord(current) && typeof current.$ref === 'string') {
    const ref = current.$ref
    if (seen.has(ref)) throw new Error(`Circular $ref '${ref}'`)
    seen.add(ref)
    const { $ref: _ref, ...rest } = current
    siblings = { ...rest, ...siblings }
    current = resolvePointer(document, ref)
  }
  if (!isRecord(current)) throw new Error('Expected an object in the OpenAPI document')
  return { ...current, ...siblings } as JsonSchema
}

/**
 * A copy of `schema` whose local `$ref`s point into the registered document, so that it can be
 * compiled as a root schema of its own.
 *
 * @example
 * ```ts
 * toDocumentRefs({ $ref: '#/components/schemas/TextPrompt' })
 * // { $ref: 'openapi#/components/schemas/TextPrompt' }
 * ```
 */
export function toDocumentRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toDocumentRefs)
  if (!isRecord(schema)) return schema
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    copy[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? `${DOCUMENT_ID}${value}`
        : toDocumentRefs(value)
  }
  return copy
}

/**
 * The JSON types a schema allows, looking through `$ref`, `const`, `enum` and unions. Empty
 * means "anything".
 */
export function schemaTypes(document: OpenApiDocument, schema: unknown): ReadonlySet<string> {
  return memoized(typeSets, document, schema, () =>
    typesOf(document, schema),
  ) as ReadonlySet<string>
}

function typesOf(document: OpenApiDocument, schema: unknown): Set<string> {
  const types = new Set<string>()
  if (!isRecord(schema)) return types
  const resolved = derefObject(document, schema)
  const type = resolved.type
  if (typeof type === 'string') {
    types.add(type)
  } else if (Array.isArray(type)) {
    for (const t of type) if (typeof t === 'string') types.add(t)
  } else if ('const' in resolved) {
    types.add(jsonType(resolved.const))
  } else if (Array.isArray(resolved.enum)) {
    for (const value of resolved.enum) types.add(jsonType(value))
  } else {
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const branches = resolved[key]
      if (!Array.isArray(branches)) continue
      for (const branch of branches) for (const t of schemaTypes(document, branch)) types.add(t)
    }
  }
  return types
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}
