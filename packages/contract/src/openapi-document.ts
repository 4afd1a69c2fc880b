/**
 * The parts of an OpenAPI 3.1 document that run-time tools here read. Deliberately loose below
 * the operation level: schemas are JSON Schema 2020-12 and go to a validator as they are.
 */
export type JsonSchema = Record<string, unknown>

export interface ParameterObject {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  description?: string
  schema?: JsonSchema
  [key: string]: unknown
}

export interface ReferenceObject {
  $ref: string
}

export interface MediaTypeObject {
  schema?: JsonSchema
  encoding?: Record<string, { contentType?: string }>
  [key: string]: unknown
}

export interface HeaderObject {
  description?: string
  required?: boolean
  schema?: JsonSchema
  [key: string]: unknown
}

export interface ResponseObject {
  description: string
  headers?: Record<string, HeaderObject | ReferenceObject>
  content?: Record<string, MediaTypeObject>
}

/** Scheme name -> scopes; an empty object means "no credentials needed". */
export type SecurityRequirementObject = Record<string, string[]>

export interface OperationObject {
  operationId?: string
  tags?: string[]
  summary?: string
  description?: string
  parameters?: Array<ParameterObject | ReferenceObject>
  requestBody?: { required?: boolean; content: Record<string, MediaTypeObject> } | ReferenceObject
  responses: Record<string, ResponseObject | ReferenceObject>
  /** Overrides the document's `security`; `[]` means the operation needs no credentials. */
  security?: SecurityRequirementObject[]
  /** Specification extensions, such as `x-uxmate-read-cache`. */
  [extension: `x-${string}`]: unknown
}

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace'

export type PathItemObject = {
  parameters?: Array<ParameterObject | ReferenceObject>
} & Partial<Record<HttpMethod, OperationObject>>

export interface OpenApiDocument {
  openapi: string
  jsonSchemaDialect?: string
  info: { title: string; version: string; [key: string]: unknown }
  paths: Record<string, PathItemObject>
  /** What every operation needs unless it says otherwise: any one of the requirements. */
  security?: SecurityRequirementObject[]
  components?: {
    schemas?: Record<string, JsonSchema>
    parameters?: Record<string, ParameterObject>
    responses?: Record<string, ResponseObject>
    headers?: Record<string, HeaderObject>
    [key: string]: unknown
  }
  [key: string]: unknown
}
