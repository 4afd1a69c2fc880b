/**
 * Response field coverage: which properties of the documented JSON response schemas the real
 * server actually sent. A field is named by the component schema that declares it and its path
 * from there (`Session.name`, `Message.files`, `GroupedSessionsResponse.groups[].sessions`), or,
 * in a schema written inline in a response, by the operation and status (`get_health 200.status`).
 * `expectConformant` records the fields of every validated answer; the gate
 * (test/zz-coverage-gate.test.ts) fails naming each documented field never seen. Adding an
 * optional field to a response schema that the server never sends turns it red.
 */
import type { JsonSchema, OpenApiDocument, Operation } from './spec.ts'
import { resolvePointer } from './spec.ts'

/**
 * Fields that the contract run cannot make the server send, each with why: a field
 * (`Session.usage`) or a whole schema (`TokenUsage`, all of its fields). Keep it short: an entry
 * belongs here only when producing it needs what a contract run does not have; anything else
 * gets a step in src/scenario.ts instead.
 */
export const rarelySentFields: Record<string, string> = {
  // Token usage is recorded for runs of an agent on a model only; the contract run's agents are
  // the echo agent and test doubles, which report none (apps/server's tests cover it with a
  // fake model: long-conversations.test.ts).
  'Message.usage': 'runs on a model only',
  'Session.usage': 'runs on a model only',
  TokenUsage: 'runs on a model only',
  AgentUsage: 'a usage report counts runs on a model only',
  DailyUsage: 'a usage report counts runs on a model only',
  // Inline file bytes come only in export_session's NDJSON lines (`files=inline`), which the
  // scenario reads and checks byte for byte, but which are not a JSON answer the gate records.
  'FileMetadata.data_base64': 'sent in NDJSON export lines only',
}

const componentPrefix = '#/components/schemas/'

interface Place {
  /** The component (or `operationId status`) the walk is in, and the path from it. */
  owner: string
  path: string
}

const child = (place: Place, suffix: string): Place => ({
  owner: place.owner,
  path: `${place.path}${suffix}`,
})
const nameOf = (place: Place, property: string) =>
  `${place.owner}${place.path}.${property}`.replace(/^\./, '')

/**
 * Walks `schema` (and `value`, when given) calling `found` with each property's name: every
 * documented property when `value` is undefined, else those present in `value`.
 */
function walk(
  document: OpenApiDocument,
  schema: unknown,
  value: unknown,
  place: Place,
  found: (name: string) => void,
  stack: string[],
): void {
  if (typeof schema !== 'object' || schema === null) return
  let node = schema as JsonSchema
  let at = place
  while (typeof node.$ref === 'string') {
    const ref = node.$ref
    if (stack.includes(ref)) return
    stack = [...stack, ref]
    if (ref.startsWith(componentPrefix)) at = { owner: ref.slice(componentPrefix.length), path: '' }
    node = resolvePointer(document, ref) as JsonSchema
  }
  const documentedOnly = value === undefined
  for (const keyword of ['allOf', 'oneOf', 'anyOf'] as const) {
    for (const part of (node[keyword] as unknown[] | undefined) ?? []) {
      walk(document, part, value, at, found, stack)
    }
  }
  const properties = node.properties as Record<string, unknown> | undefined
  if (properties && (documentedOnly || (typeof value === 'object' && value !== null))) {
    const object = (value ?? {}) as Record<string, unknown>
    for (const [property, propertySchema] of Object.entries(properties)) {
      if (!documentedOnly && !(property in object)) continue
      found(nameOf(at, property))
      walk(document, propertySchema, object[property], child(at, `.${property}`), found, stack)
    }
  }
  if (node.items !== undefined) {
    const items = documentedOnly ? [undefined] : Array.isArray(value) ? value : []
    for (const item of items) walk(document, node.items, item, child(at, '[]'), found, stack)
  }
}

const jsonBodies = (op: Operation, status: string) =>
  Object.entries(op.responses[status]?.content ?? {}).filter(([type]) => /json/i.test(type))

/**
 * The fields of `body`, an answer of `operationId` with `status`, that its schema documents.
 *
 * @example
 * ```ts
 * sentFields(document, getHealth, 200, { status: 'ok' }) // ['HealthResponse.status']
 * ```
 */
export function sentFields(
  document: OpenApiDocument,
  op: Operation,
  status: number,
  body: unknown,
): string[] {
  const documented = op.responses[String(status)] ? String(status) : `${String(status)[0]}XX`
  const fields = new Set<string>()
  for (const [, media] of jsonBodies(op, documented)) {
    const place = { owner: `${op.operationId} ${documented}`, path: '' }
    walk(document, media.schema, body ?? null, place, (name) => fields.add(name), [])
  }
  return [...fields]
}

/** Every field that the JSON response schemas of `operations` document, in the document's order. */
export function documentedFields(document: OpenApiDocument, operations: Operation[]): string[] {
  const fields = new Set<string>()
  for (const op of operations) {
    for (const status of Object.keys(op.responses)) {
      for (const [, media] of jsonBodies(op, status)) {
        const place = { owner: `${op.operationId} ${status}`, path: '' }
        walk(document, media.schema, undefined, place, (name) => fields.add(name), [])
      }
    }
  }
  return [...fields]
}

/**
 * One message per documented field never seen and not allowed to be missing, e.g.
 * `Session.pinned was never sent by the server`.
 */
export function missingFields(
  documented: string[],
  seen: Iterable<string>,
  allowed: Record<string, string> = rarelySentFields,
): string[] {
  const sent = new Set(seen)
  return documented
    .filter((field) => !sent.has(field) && !(field in allowed))
    .filter((field) => !((field.split(/[.[ ]/)[0] ?? '') in allowed))
    .map((field) => `${field} was never sent by the server`)
}
