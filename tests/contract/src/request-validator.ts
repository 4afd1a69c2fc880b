/**
 * Validates an outgoing HTTP request against openapi.yaml: which operation it is (method and
 * path template), its path parameters, its query (no undocumented names), its documented
 * headers, and its body (JSON against the schema; multipart part by part: names, file parts
 * with filenames where the schema says binary, text parts elsewhere). For the `fetch` given to
 * `@uxmate/client` in the client conformance tests.
 *
 * @example
 * ```ts
 * const { operation, problems } = await validateRequest(new Request('http://x/sessions?limit=5'))
 * // operation.operationId === 'get_sessions'; problems[0] says `agent_id` is missing
 * ```
 */

import { inlineRefs, type JsonSchema, type Operation, type Parameter } from './spec.ts'
import { type HeadersLike, isJson, specValidator } from './spec-validator.ts'

export interface RequestCheck {
  /** The operation the method and path name; `undefined` when none does. */
  operation: Operation | undefined
  /** Path parameters, decoded. */
  pathParams: Record<string, string>
  /** Every way the request departs from the document; empty when it conforms. */
  problems: string[]
}

/** Header parameters OpenAPI says to ignore: they are described elsewhere. */
const ignoredHeaders = new Set(['accept', 'content-type', 'authorization'])

interface CompiledPath {
  operation: Operation
  regex: RegExp
  names: string[]
  literalLength: number
}

let compiledPaths: CompiledPath[] | undefined

function paths(): CompiledPath[] {
  if (!compiledPaths) {
    compiledPaths = specValidator().operations.map((operation) => {
      const names: string[] = []
      const pattern = operation.path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const param = /^\{([^}]+)\}$/.exec(part)
          if (param?.[1]) {
            names.push(param[1])
            return '([^/]+)'
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        })
        .join('')
      return {
        operation,
        regex: new RegExp(`^${pattern}$`),
        names,
        literalLength: operation.path.replace(/\{[^}]+\}/g, '').length,
      }
    })
  }
  return compiledPaths
}

/**
 * Finds the operation of a method and path: among the templates the path matches, the most
 * literal one wins (`/sessions/grouped` over `/sessions/{session_id}`), as OpenAPI requires.
 */
export function matchOperation(
  method: string,
  pathname: string,
): { operation?: Operation; pathParams: Record<string, string>; problem?: string } {
  const matches = paths()
    .map((compiled) => ({ compiled, match: compiled.regex.exec(pathname) }))
    .filter((m) => m.match !== null)
    .sort((a, b) => b.compiled.literalLength - a.compiled.literalLength)
  if (matches.length === 0)
    return { pathParams: {}, problem: `no path of openapi.yaml matches ${pathname}` }
  const best = matches[0]?.compiled.operation.path
  const sameTemplate = matches.filter((m) => m.compiled.operation.path === best)
  const found = sameTemplate.find((m) => m.compiled.operation.method === method.toLowerCase())
  if (!found)
    return {
      pathParams: {},
      problem: `${method.toUpperCase()} is not documented for ${best} (documented: ${sameTemplate
        .map((m) => m.compiled.operation.method.toUpperCase())
        .join(', ')})`,
    }
  const pathParams: Record<string, string> = {}
  found.compiled.names.forEach((name, index) => {
    const raw = found.match?.[index + 1] ?? ''
    try {
      pathParams[name] = decodeURIComponent(raw)
    } catch {
      pathParams[name] = raw
    }
  })
  return { operation: found.compiled.operation, pathParams }
}

/** A string from the wire as the value its schema describes (`"5"` -> 5 for an integer). */
function coerce(schema: JsonSchema | undefined, raw: string): unknown {
  const type = schema?.type
  const types = Array.isArray(type) ? type : [type]
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(raw))
    return Number(raw)
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true'
  return raw
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : headers[key]
}

function parameterProblems(
  op: Operation,
  location: Parameter['in'],
  values: Map<string, string[]>,
): string[] {
  const validator = specValidator()
  const problems: string[] = []
  const documented = op.parameters.filter((p) => p.in === location)
  for (const param of documented) {
    const given = values.get(param.name)
    if (!given || given.length === 0) {
      if (param.required) problems.push(`${location} parameter ${param.name} is required`)
      continue
    }
    const isArray = param.schema?.type === 'array'
    if (!isArray && given.length > 1)
      problems.push(`${location} parameter ${param.name} is sent ${given.length} times`)
    const items = (param.schema?.items as JsonSchema | undefined) ?? undefined
    const value = isArray
      ? given.map((raw) => coerce(items, raw))
      : coerce(param.schema, given[0] ?? '')
    problems.push(...validator.problems(`${location} parameter ${param.name}`, param.schema, value))
  }
  if (location === 'query') {
    for (const name of values.keys())
      if (!documented.some((p) => p.name === name))
        problems.push(`query parameter ${name} is not documented`)
  }
  return problems
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

function isBinary(schema: JsonSchema | undefined): boolean {
  return schema?.type === 'string' && schema.format === 'binary'
}

async function multipartProblems(request: Request, schema: JsonSchema): Promise<string[]> {
  const validator = specValidator()
  let form: FormData
  try {
    form = await request.formData()
  } catch (error) {
    return [`the multipart body cannot be parsed: ${(error as Error).message}`]
  }
  const resolved = inlineRefs(validator.document, schema) as JsonSchema
  const properties = (resolved.properties ?? {}) as Record<string, JsonSchema>
  const problems: string[] = []
  const value: Record<string, unknown> = {}
  const names = [...new Set([...form.keys()])]
  for (const name of names) {
    const parts = form.getAll(name)
    const property = properties[name]
    if (!property) {
      problems.push(`multipart part '${name}' is not a property of the body's schema`)
      continue
    }
    const isArray = property.type === 'array'
    const itemSchema = isArray ? (property.items as JsonSchema | undefined) : property
    if (!isArray && parts.length > 1)
      problems.push(`multipart part '${name}' is sent ${parts.length} times`)
    const values = parts.map((part, index) => {
      const label = isArray ? `'${name}' #${index + 1}` : `'${name}'`
      if (isBinary(itemSchema)) {
        if (typeof part === 'string') problems.push(`multipart part ${label} must be a file part`)
        else if (!part.name) problems.push(`multipart file part ${label} has no filename`)
        return typeof part === 'string' ? part : `<file ${part.name}>`
      }
      if (typeof part !== 'string') {
        problems.push(`multipart part ${label} must be a text field, not a file`)
        return ''
      }
      return coerce(itemSchema, part)
    })
    value[name] = isArray ? values : values[0]
  }
  problems.push(...validator.problems('multipart body', resolved, value))
  return problems
}

/**
 * Every way `request` departs from openapi.yaml. Reads a clone of the body: `request` stays
 * unread for whoever sends it.
 */
export async function validateRequest(request: Request): Promise<RequestCheck> {
  const url = new URL(request.url)
  const { operation, pathParams, problem } = matchOperation(request.method, url.pathname)
  if (!operation) return { operation, pathParams, problems: [problem ?? 'unknown operation'] }
  const problems: string[] = []

  problems.push(
    ...parameterProblems(
      operation,
      'path',
      new Map(Object.entries(pathParams).map(([name, value]) => [name, [value]])),
    ),
  )
  const query = new Map<string, string[]>()
  for (const [name, value] of url.searchParams) query.set(name, [...(query.get(name) ?? []), value])
  problems.push(...parameterProblems(operation, 'query', query))

  const headers = new Map<string, string[]>()
  for (const param of operation.parameters.filter((p) => p.in === 'header')) {
    if (ignoredHeaders.has(param.name.toLowerCase())) continue
    const value = header(request.headers, param.name)
    if (value !== undefined) headers.set(param.name, [value])
  }
  problems.push(...parameterProblems(operation, 'header', headers))

  const body = await bodyProblems(operation, request.clone())
  problems.push(...body)
  return { operation, pathParams, problems: problems.map((p) => `${operation.operationId}: ${p}`) }
}

async function bodyProblems(operation: Operation, request: Request): Promise<string[]> {
  const bytes = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : undefined
  const hasBody = bytes !== undefined && bytes.byteLength > 0
  const spec = operation.requestBody
  if (!spec) return hasBody ? ['a body is sent, but the operation documents none'] : []
  if (!hasBody) return spec.required ? ['the request body is required'] : []

  const contentType = request.headers.get('content-type')
  const mediaType = mediaTypeOf(contentType)
  const documented = Object.keys(spec.content)
  const key = documented.find((type) => mediaTypeOf(type) === mediaType)
  if (!key)
    return [
      `Content-Type '${contentType}' is not documented (documented: ${documented.join(', ')})`,
    ]
  const schema = spec.content[key]?.schema
  if (isJson(mediaType)) {
    let value: unknown
    try {
      value = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      return ['the JSON body does not parse']
    }
    return specValidator().problems('JSON body', schema, value)
  }
  if (mediaType === 'multipart/form-data') {
    if (!/;\s*boundary=/i.test(contentType ?? '')) return ['multipart Content-Type has no boundary']
    return schema ? multipartProblems(request, schema) : []
  }
  return []
}
