import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type {
  JsonSchema,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  ReferenceObject,
} from '../src/openapi-document.ts'
import {
  type LegacyType,
  legacyEnums,
  legacyModels,
  legacyOperations,
  legacyTag,
} from './legacy-client.fixture.ts'

const spec: OpenApiDocument = parse(
  readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8'),
)

function resolve<T>(value: T | ReferenceObject): T {
  if (value && typeof value === 'object' && '$ref' in value) {
    const path = value.$ref.replace(/^#\//, '').split('/')
    let node: unknown = spec
    for (const key of path) node = (node as Record<string, unknown>)[key]
    if (node === undefined) throw new Error(`Unresolved ${value.$ref}`)
    return resolve(node as T | ReferenceObject)
  }
  return value as T
}

const refName = (schema: JsonSchema | undefined) =>
  typeof schema?.$ref === 'string' ? schema.$ref.split('/').at(-1) : undefined

function schemaOf(name: string): JsonSchema {
  const schema = spec.components?.schemas?.[name]
  if (!schema) throw new Error(`components.schemas.${name} is missing`)
  return schema
}

function findOperation(operationId: string) {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method]
      if (operation?.operationId === operationId) return { path, method, operation, item }
    }
  }
  throw new Error(`No operation ${operationId} in openapi.yaml`)
}

function parametersOf(item: { parameters?: unknown[] }, operation: OperationObject) {
  return [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) =>
    resolve(p as ParameterObject | ReferenceObject),
  )
}

/** Does our property schema carry the type the old client declares? */
function matchesType(property: JsonSchema, expected: LegacyType): boolean {
  // `allOf` of one `$ref`: how OpenAPI 3.1 documents a shared schema with a description of its own.
  const allOf = property.allOf as JsonSchema[] | undefined
  const only = allOf?.length === 1 ? allOf[0] : undefined
  const referred = property.$ref ? property : only?.$ref ? only : undefined
  const schema = referred ? schemaOf(refName(referred) as string) : property
  if (expected === 'string') return schema.type === 'string'
  if (expected === 'date-time') return schema.type === 'string' && schema.format === 'date-time'
  if (expected === 'object') return schema.type === 'object'
  if (expected === 'string-or-null')
    return JSON.stringify(schema.type) === JSON.stringify(['string', 'null'])
  if ('ref' in expected) return refName(property) === expected.ref
  if ('enum' in expected) return JSON.stringify(schema.enum) === JSON.stringify(expected.enum)
  if (schema.type !== 'array') return false
  const items = schema.items as JsonSchema
  if (expected.arrayOf === 'string') return items.type === 'string'
  if (expected.arrayOf === 'string-or-integer')
    return JSON.stringify(items.anyOf) === '[{"type":"string"},{"type":"integer"}]'
  return refName(items) === expected.arrayOf
}

describe('openapi.yaml against the existing Python client', () => {
  describe.each(legacyOperations)('$operationId', (legacy) => {
    const { path, method, operation, item } = findOperation(legacy.operationId)

    it('keeps the path, method and tag', () => {
      expect({ path, method }).toEqual({ path: legacy.path, method: legacy.method })
      expect(operation.tags).toContain(legacyTag)
    })

    it('keeps every parameter by name and place, and adds only optional ones', () => {
      const ours = parametersOf(item, operation).filter((p) => p.in === 'path' || p.in === 'query')
      for (const old of legacy.parameters) {
        const match = ours.find((p) => p.name === old.name && p.in === old.in)
        expect(match, `${old.in} parameter ${old.name}`).toBeDefined()
        expect(match?.required, `${old.name} stays required`).toBe(true)
      }
      const added = ours.filter((p) => !legacy.parameters.some((old) => old.name === p.name))
      for (const parameter of added) expect(parameter.required ?? false).toBe(false)
    })

    it('takes the same request body', () => {
      const body = operation.requestBody && resolve(operation.requestBody)
      if (!legacy.body) return expect(body).toBeUndefined()
      expect(Object.keys(body?.content ?? {})).toEqual([legacy.body.contentType])
      const schema = body?.content[legacy.body.contentType]?.schema
      if ('schema' in legacy.body) return expect(refName(schema)).toBe(legacy.body.schema)
      const form = schemaOf(refName(schema) as string)
      const properties = form.properties as Record<string, JsonSchema>
      const required = (form.required as string[]) ?? []
      expect(Object.keys(properties).sort()).toEqual(Object.keys(legacy.body.fields).sort())
      for (const [field, { required: isRequired }] of Object.entries(legacy.body.fields))
        expect(required.includes(field), `form field ${field} required`).toBe(isRequired)
      expect((properties.files?.items as JsonSchema)?.format).toBe('binary')
    })

    it('answers with the same models', () => {
      for (const [status, model] of Object.entries(legacy.responses)) {
        const response = resolve(operation.responses[status] ?? { $ref: '#/missing' })
        const content = response.content?.['application/json']
        expect(content, `${status} application/json`).toBeDefined()
        expect(refName(content?.schema)).toBe(model)
      }
    })
  })

  describe.each(Object.entries(legacyModels))('model %s', (name, fields) => {
    const schema = schemaOf(name)
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
    const required = (schema.required as string[] | undefined) ?? []

    it.each(Object.entries(fields))('field %s keeps its type and required-ness', (field, old) => {
      const property = properties[field]
      expect(property, `${name}.${field}`).toBeDefined()
      expect(matchesType(property as JsonSchema, old.type), `${name}.${field} type`).toBe(true)
      expect(required.includes(field), `${name}.${field} required`).toBe(old.required)
    })
  })

  it.each(Object.entries(legacyEnums))('enum %s has exactly the old values', (name, values) => {
    expect(schemaOf(name).enum).toEqual(values)
  })

  it('gives time_to_sessions a real schema: bucket name -> SessionSummary[]', () => {
    const bucket = (schemaOf('GroupedSessionsResponse').properties as Record<string, JsonSchema>)
      .time_to_sessions?.additionalProperties as JsonSchema
    expect(bucket.type).toBe('array')
    expect(refName(bucket.items as JsonSchema)).toBe('SessionSummary')
  })
})
