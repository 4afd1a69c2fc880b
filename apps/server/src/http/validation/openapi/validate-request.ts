/**
 * Validates the values of a request against its operation's compiled schemas and collects
 * every problem, in FastAPI's order: path, query, header, then body; within each, in the order
 * the fields are declared.
 */
import type { OpenApiDocument } from '@uxmate/contract/document'
import type { JsonBody } from '../body/json-body.ts'
import type { FormEntries } from '../body/multipart.ts'
import { missingIssue, type ValidationIssue } from '../errors/fastapi-errors.ts'
import { ajvIssues } from '../errors/pydantic-issues.ts'
import { coerceValues, type Pick } from './coerce.ts'
import { type Checked, inFieldOrder, withAjvIssues } from './issue-collection.ts'
import type { BodySpec, LocationSpec, OperationSpec, ParameterLocation } from './operation-spec.ts'
import { schemaTypes } from './schema-refs.ts'
import { checkForm } from './validate-form.ts'

/** The raw values of a request, as strings, before validation. */
export interface RawParameters {
  path: Record<string, string>
  query: Record<string, string[]>
  headers: Headers
}

/** A request body as read: none expected, JSON, or multipart parts. */
export type ReadBody =
  | { kind: 'none' }
  | { kind: 'json'; body: JsonBody }
  | { kind: 'form'; entries: FormEntries }

/** Validated values by Hono validation target (`param`, `query`, `header`, `json`, `form`). */
export type ValidatedValues = Partial<
  Record<'param' | 'query' | 'header' | 'json' | 'form', unknown>
>

export interface RequestValidation {
  values: ValidatedValues
  issues: ValidationIssue[]
}

const PICK: Record<ParameterLocation, Pick> = { path: 'first', query: 'last', header: 'first' }

function rawValues(
  location: ParameterLocation,
  name: string,
  raw: RawParameters,
): string[] | undefined {
  if (location === 'query') return raw.query[name]
  if (location === 'path') {
    const value = raw.path[name]
    return value === undefined ? undefined : [value]
  }
  // Headers.get matches names case-insensitively and joins repeated headers with ", ".
  const value = raw.headers.get(name)
  return value === null ? undefined : [value]
}

function checkLocation(
  document: OpenApiDocument,
  location: ParameterLocation,
  spec: LocationSpec,
  request: RawParameters,
): Checked {
  const data: Record<string, unknown> = {}
  const raw: Record<string, unknown> = {}
  const early: ValidationIssue[] = []
  for (const parameter of spec.parameters) {
    let values = rawValues(location, parameter.name, request)
    if (values === undefined || values.length === 0) continue
    const joined = values[0]
    if (
      location === 'header' &&
      joined !== undefined &&
      schemaTypes(document, parameter.schema).has('array')
    ) {
      // OpenAPI's `simple` style: one header, comma-separated values.
      values = joined.split(',').map((v) => v.trim())
    }
    const loc = [location, parameter.name]
    const coerced = coerceValues(document, parameter.schema, values, loc, PICK[location])
    data[parameter.name] = coerced.value
    raw[parameter.name] = Array.isArray(coerced.value) ? values : coerced.sent
    early.push(...coerced.issues)
  }
  const issues = withAjvIssues(spec.validate, data, raw, [location], early)
  if (issues.length === 0) return { value: data, issues }
  return {
    value: data,
    issues: inFieldOrder(
      issues,
      spec.parameters.map((p) => p.name),
    ),
  }
}

function checkJson(
  spec: NonNullable<BodySpec['json']>,
  required: boolean,
  body: JsonBody,
): Checked {
  // FastAPI: an empty body, or `null`, is a missing body.
  if (!body.present || body.value === null) {
    return required
      ? { value: undefined, issues: [missingIssue(['body'])] }
      : { value: undefined, issues: [] }
  }
  const data = body.value
  const issues = spec.validate(data)
    ? []
    : ajvIssues(spec.validate.errors, ['body'], data, 'parent')
  return { value: data, issues: inFieldOrder(issues, spec.fieldOrder) }
}

function checkBody(document: OpenApiDocument, spec: BodySpec, body: ReadBody): Checked {
  if (body.kind === 'json' && spec.json) return checkJson(spec.json, spec.required, body.body)
  if (body.kind === 'form' && spec.multipart)
    return checkForm(document, spec.multipart, body.entries)
  return spec.required
    ? { value: undefined, issues: [missingIssue(['body'])] }
    : { value: undefined, issues: [] }
}

const TARGET: Record<ParameterLocation, 'param' | 'query' | 'header'> = {
  path: 'param',
  query: 'query',
  header: 'header',
}

/**
 * Validates every part of a request against `operation`, collecting all problems.
 *
 * @example
 * ```ts
 * const { values, issues } = validateRequest(document, operation, raw, { kind: 'none' })
 * if (issues.length > 0) return c.json({ detail: issues }, 422)
 * ```
 */
export function validateRequest(
  document: OpenApiDocument,
  operation: OperationSpec,
  raw: RawParameters,
  body: ReadBody,
): RequestValidation {
  const values: ValidatedValues = {}
  const issues: ValidationIssue[] = []
  for (const location of ['path', 'query', 'header'] as const) {
    const spec = operation.parameters[location]
    if (!spec) continue
    const checked = checkLocation(document, location, spec, raw)
    values[TARGET[location]] = checked.value
    issues.push(...checked.issues)
  }
  if (operation.body) {
    const checked = checkBody(document, operation.body, body)
    values[body.kind === 'form' || !operation.body.json ? 'form' : 'json'] = checked.value
    issues.push(...checked.issues)
  }
  return { values, issues }
}
