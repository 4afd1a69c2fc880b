/**
 * Compiles what each operation of the document accepts, once, at start: one Ajv schema per
 * parameter location (path, query, header) and one per request body media type. Nothing here is
 * written per field; a change to openapi.yaml changes what is validated.
 */
import type {
  HttpMethod,
  JsonSchema,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  PathItemObject,
} from '@uxmate/contract/document'
import type { ValidateFunction } from 'ajv'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { derefObject, isRecord, schemaTypes, toDocumentRefs } from './schema-refs.ts'

export type ParameterLocation = 'path' | 'query' | 'header'

export interface ParameterSpec {
  name: string
  required: boolean
  schema: JsonSchema
}

/** The parameters of one location, in declaration order, and their compiled object schema. */
export interface LocationSpec {
  parameters: ParameterSpec[]
  validate: ValidateFunction
}

/** A form field, and whether it carries files: one (`single`), several (`list`) or none. */
export interface FormFieldSpec {
  name: string
  schema: JsonSchema
  files: 'single' | 'list' | undefined
}

export interface BodySpec {
  required: boolean
  /** The media types the operation declares, for the 415 message. */
  mediaTypes: string[]
  /**
   * `carriesFiles` (`x-uxmate-json-carries-files`): the JSON holds files (as `data:` URLs), so
   * it may be as large as a multipart upload rather than a plain JSON body.
   */
  json?: { validate: ValidateFunction; fieldOrder: string[]; carriesFiles: boolean }
  multipart?: { validate: ValidateFunction; fields: FormFieldSpec[] }
}

export interface OperationSpec {
  operationId: string
  method: HttpMethod
  path: string
  /** The operation as the document has it, for what else is read from it (security, ...). */
  source: OperationObject
  parameters: Partial<Record<ParameterLocation, LocationSpec>>
  body: BodySpec | undefined
}

const LOCATIONS: readonly ParameterLocation[] = ['path', 'query', 'header']

/** Path-item parameters, overridden by the operation's own of the same name and location. */
function mergedParameters(
  document: OpenApiDocument,
  pathItem: PathItemObject,
  operation: OperationObject,
): ParameterObject[] {
  const merged = new Map<string, ParameterObject>()
  for (const raw of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
    const parameter = derefObject<ParameterObject>(document, raw)
    merged.set(`${parameter.in}:${parameter.name}`, parameter)
  }
  return [...merged.values()]
}

/**
 * A parameter's schema as a property of the location's object schema. Ajv's `useDefaults` does
 * not look through `$ref`, so a default found behind one is copied next to it.
 */
function propertySchema(document: OpenApiDocument, schema: JsonSchema): unknown {
  const rewritten = toDocumentRefs(schema) as JsonSchema
  const resolved = derefObject(document, schema)
  return 'default' in resolved && !('default' in rewritten)
    ? { ...rewritten, default: resolved.default }
    : rewritten
}

function compileLocation(
  document: OpenApiDocument,
  ajv: Ajv2020,
  parameters: ParameterSpec[],
): LocationSpec | undefined {
  if (parameters.length === 0) return undefined
  const schema = {
    type: 'object',
    properties: Object.fromEntries(
      parameters.map((p) => [p.name, propertySchema(document, p.schema)]),
    ),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  }
  return { parameters, validate: ajv.compile(schema) }
}

function isBinary(document: OpenApiDocument, schema: unknown): boolean {
  if (!isRecord(schema)) return false
  const resolved = derefObject(document, schema)
  // OpenAPI 3.0 says `format: binary`; 3.1 prefers `contentMediaType`.
  return resolved.format === 'binary' || typeof resolved.contentMediaType === 'string'
}

function formFields(document: OpenApiDocument, schema: JsonSchema): FormFieldSpec[] {
  const properties = derefObject(document, schema).properties
  if (!isRecord(properties)) return []
  return Object.entries(properties).map(([name, property]) => {
    const field = property as JsonSchema
    const items = schemaTypes(document, field).has('array')
      ? derefObject(document, field).items
      : undefined
    const files = isBinary(document, field)
      ? 'single'
      : isBinary(document, items)
        ? 'list'
        : undefined
    return { name, schema: field, files }
  })
}

function compileBody(
  document: OpenApiDocument,
  ajv: Ajv2020,
  operation: OperationObject,
  where: string,
): BodySpec | undefined {
  if (!operation.requestBody) return undefined
  const requestBody = derefObject<Exclude<OperationObject['requestBody'], undefined>>(
    document,
    operation.requestBody,
  )
  if (!('content' in requestBody)) return undefined
  const body: BodySpec = {
    required: requestBody.required === true,
    mediaTypes: Object.keys(requestBody.content),
  }
  for (const [mediaType, media] of Object.entries(requestBody.content)) {
    const schema = media.schema ?? {}
    if (mediaType === 'application/json') {
      const properties = derefObject(document, schema).properties
      body.json = {
        validate: ajv.compile(toDocumentRefs(schema) as JsonSchema),
        fieldOrder: isRecord(properties) ? Object.keys(properties) : [],
        carriesFiles: operation['x-uxmate-json-carries-files'] === true,
      }
    } else if (mediaType === 'multipart/form-data') {
      body.multipart = {
        validate: ajv.compile(toDocumentRefs(schema) as JsonSchema),
        fields: formFields(document, schema),
      }
    } else {
      // Better to refuse to start than to let a body through unvalidated.
      throw new Error(`${where}: request bodies of type '${mediaType}' are not supported`)
    }
  }
  return body
}

/** Where an operation sits in the document. */
export interface OperationLocation {
  operationId: string
  path: string
  method: HttpMethod
  pathItem: PathItemObject
  operation: OperationObject
}

/**
 * What the operation at `location` accepts, compiled with `ajv` (which must already hold the
 * document under `DOCUMENT_ID`). Throws for what the validator cannot check (cookie parameters,
 * bodies other than JSON and multipart): better not to start than to let requests through.
 *
 * @example
 * ```ts
 * const spec = compileOperation(document, ajv, location)
 * spec.parameters.query?.validate({ agent_id: 'echo' })
 * ```
 */
export function compileOperation(
  document: OpenApiDocument,
  ajv: Ajv2020,
  { operationId, path, method, pathItem, operation }: OperationLocation,
): OperationSpec {
  const where = `${method.toUpperCase()} ${path} (${operationId})`
  const parameters = mergedParameters(document, pathItem, operation)
  const unsupported = parameters.find((p) => !LOCATIONS.includes(p.in as ParameterLocation))
  if (unsupported) throw new Error(`${where}: ${unsupported.in} parameters are not supported`)
  const spec: OperationSpec = {
    operationId,
    method,
    path,
    source: operation,
    parameters: {},
    body: compileBody(document, ajv, operation, where),
  }
  for (const location of LOCATIONS) {
    const located = parameters
      .filter((p) => p.in === location)
      .map((p) => ({
        name: p.name,
        // OpenAPI: a path parameter is always required.
        required: location === 'path' || p.required === true,
        schema: p.schema ?? {},
      }))
    const compiled = compileLocation(document, ajv, located)
    if (compiled) spec.parameters[location] = compiled
  }
  return spec
}

const METHODS: readonly HttpMethod[] = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
]

/**
 * Every operation of `document` by operationId, compiled with `ajv` (see {@link compileOperation}):
 * the one pass over the document's operations that the server makes.
 *
 * @example
 * ```ts
 * const operations = compileOperations(document, ajv)
 * operations.get('get_sessions')?.parameters.query?.validate({ agent_id: 'echo' })
 * ```
 */
export function compileOperations(
  document: OpenApiDocument,
  ajv: Ajv2020,
): Map<string, OperationSpec> {
  const operations = new Map<string, OperationSpec>()
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method]
      const operationId = operation?.operationId
      if (!operation || !operationId) continue
      const location = { operationId, path, method, pathItem, operation }
      operations.set(operationId, compileOperation(document, ajv, location))
    }
  }
  return operations
}
