/**
 * Validates the values of a request against its operation's compiled schemas and collects
 * every problem, in FastAPI's order: path, query, header, then body; within each, in the order
 * the fields are declared.
 */
import type { OpenApiDocument } from '@uxmate/contract/document'
import { ajvIssues, startsWith } from './ajv-errors.ts'
import { coerceValues, type Pick } from './coerce.ts'
import { type Loc, missingIssue, type ValidationIssue, valueErrorIssue } from './fastapi-errors.ts'
import type { JsonBody } from './json-body.ts'
import type { FormEntries } from './multipart.ts'
import type { BodySpec, LocationSpec, OperationSpec, ParameterLocation } from './operation-spec.ts'
import { schemaTypes } from './schema-refs.ts'
import type { UploadedFile } from './uploaded-file.ts'

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

interface Checked {
  value: unknown
  issues: ValidationIssue[]
}

/** Orders issues by the declaration order of the field they are about (`loc[1]`); stable. */
function inFieldOrder(issues: ValidationIssue[], fields: readonly string[]): ValidationIssue[] {
  const rank = (issue: ValidationIssue) => {
    const field = issue.loc[1]
    if (field === undefined) return -1
    const index = fields.indexOf(String(field))
    return index < 0 ? fields.length : index
  }
  return [...issues].sort((a, b) => rank(a) - rank(b))
}

/** The value at `path` inside `root`, if there is one. */
function valueAt(root: unknown, path: Loc): { found: boolean; value: unknown } {
  let node = root
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !(key in node)) {
      return { found: false, value: undefined }
    }
    node = (node as Record<string | number, unknown>)[key]
  }
  return { found: true, value: node }
}

/**
 * Adds Ajv's problems to those met converting strings. A converted value keeps its first
 * problem (Ajv's on the same value are dropped), and Ajv's problems show the value as it was
 * sent, as FastAPI does (`"input": "0"` for `limit=0`): `raw` holds the strings by field.
 */
function withAjvIssues(
  validate: LocationSpec['validate'],
  data: Record<string, unknown>,
  raw: Record<string, unknown>,
  prefix: Loc,
  early: ValidationIssue[],
): ValidationIssue[] {
  if (validate(data)) return early
  const found = ajvIssues(validate.errors, prefix, data)
    .filter((issue) => !early.some((claimed) => startsWith(issue.loc, claimed.loc)))
    .map((issue) => {
      if (issue.type === 'missing') return issue
      const sent = valueAt(raw, issue.loc.slice(prefix.length))
      return sent.found ? { ...issue, input: sent.value } : issue
    })
  return [...early, ...found]
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

const NOT_A_FILE = "Expected UploadFile, received: <class 'str'>"

function checkForm(
  document: OpenApiDocument,
  spec: NonNullable<BodySpec['multipart']>,
  entries: FormEntries,
): Checked {
  // Ajv sees file fields as their names (strings), so that presence and counts are checked.
  const data: Record<string, unknown> = {}
  const files: Record<string, UploadedFile | UploadedFile[]> = {}
  const raw: Record<string, unknown> = {}
  const early: ValidationIssue[] = []
  for (const field of spec.fields) {
    // An empty text value in a file field is how some clients say "no file" (FastAPI: missing).
    const parts = (entries.get(field.name) ?? []).filter(
      (p) => field.files === undefined || p.kind === 'file' || p.value !== '',
    )
    const loc = ['body', field.name]
    if (field.files === 'list') {
      files[field.name] = parts.flatMap((p) => (p.kind === 'file' ? [p.file] : []))
      parts.forEach((p, i) => {
        if (p.kind === 'text') early.push(valueErrorIssue([...loc, i], NOT_A_FILE, p.value))
      })
      if (parts.length > 0)
        data[field.name] = parts.map((p) => (p.kind === 'file' ? p.file.name : p.value))
    } else if (field.files === 'single') {
      const part = parts[0]
      if (part?.kind === 'file') files[field.name] = part.file
      else if (part) early.push(valueErrorIssue(loc, NOT_A_FILE, part.value))
      if (part) data[field.name] = part.kind === 'file' ? part.file.name : part.value
    } else {
      const texts: string[] = []
      for (const [i, part] of parts.entries()) {
        if (part.kind === 'text') {
          texts.push(part.value)
          continue
        }
        const where = schemaTypes(document, field.schema).has('array') ? [...loc, i] : loc
        const msg = 'Input should be a valid string'
        early.push({ type: 'string_type', loc: where, msg, input: part.file.name })
      }
      // FastAPI reads an empty form value as an absent one.
      if (texts.length === 0 || (texts.length === 1 && texts[0] === '')) continue
      const coerced = coerceValues(document, field.schema, texts, loc, 'first')
      data[field.name] = coerced.value
      raw[field.name] = Array.isArray(coerced.value) ? texts : coerced.sent
      early.push(...coerced.issues)
    }
  }
  const issues = withAjvIssues(spec.validate, data, raw, ['body'], early)
  return {
    value: { ...data, ...files },
    issues: inFieldOrder(
      issues,
      spec.fields.map((f) => f.name),
    ),
  }
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
