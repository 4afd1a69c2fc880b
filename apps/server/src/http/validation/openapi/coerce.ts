/**
 * Path, query, header and form values arrive as strings. Ajv runs with `coerceTypes: false`
 * (its coercion is more lenient than pydantic's and reports a failure as a type error), so they
 * are converted here, as the schema says, and a value that does not convert becomes pydantic's
 * `*_parsing` error instead of a crash or a vague type error.
 */
import type { OpenApiDocument } from '@uxmate/contract/document'
import type { Loc, ValidationIssue } from '../errors/fastapi-errors.ts'
import { canonicalUuid } from '../errors/format-errors.ts'
import { derefObject, isRecord, schemaTypes } from './schema-refs.ts'

/** A converted value, and the problems met converting it (then `value` is left as it came). */
export interface Coerced {
  value: unknown
  /** The string the value was converted from (the one picked, for a scalar). */
  sent?: string
  issues: ValidationIssue[]
}

/** Which of several values a scalar takes: Starlette keeps the last query value. */
export type Pick = 'first' | 'last'

const INTEGER = /^-?\d+$/
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/
// pydantic's lax booleans, case-insensitive (`True` is what Python's `str(True)` sends).
const TRUTHY = new Set(['1', 'on', 't', 'true', 'y', 'yes'])
const FALSY = new Set(['0', 'off', 'f', 'false', 'n', 'no'])

/**
 * Converts one string as `schema` says: integers only from `^-?\d+$`, numbers from decimal
 * notation, booleans from pydantic's words, UUIDs to their canonical spelling; strings stay.
 *
 * @example
 * ```ts
 * coerceScalar(document, { type: 'integer' }, 'abc', ['query', 'limit']).issues[0]?.type
 * // 'int_parsing'
 * ```
 */
export function coerceScalar(
  document: OpenApiDocument,
  schema: unknown,
  text: string,
  loc: Loc,
): Coerced {
  const types = schemaTypes(document, schema)
  if (types.size === 0 || types.has('string')) {
    // pydantic hands a handler a UUID object, i.e. one canonical spelling; so do we.
    const format = isRecord(schema) ? derefObject(document, schema).format : undefined
    const uuid = format === 'uuid' ? canonicalUuid(text) : undefined
    return { value: uuid ?? text, issues: [] }
  }
  if (types.has('integer') && INTEGER.test(text)) return { value: Number(text), issues: [] }
  if (types.has('number') && NUMBER.test(text.trim())) {
    return { value: Number(text.trim()), issues: [] }
  }
  if (types.has('boolean')) {
    const word = text.trim().toLowerCase()
    if (TRUTHY.has(word)) return { value: true, issues: [] }
    if (FALSY.has(word)) return { value: false, issues: [] }
  }
  const issue = parsingIssue(types, text, loc)
  return { value: text, issues: issue ? [issue] : [] }
}

function parsingIssue(
  types: ReadonlySet<string>,
  input: string,
  loc: Loc,
): ValidationIssue | undefined {
  if (types.has('integer')) {
    const msg = 'Input should be a valid integer, unable to parse string as an integer'
    return { type: 'int_parsing', loc, msg, input }
  }
  if (types.has('number')) {
    const msg = 'Input should be a valid number, unable to parse string as a number'
    return { type: 'float_parsing', loc, msg, input }
  }
  if (types.has('boolean')) {
    const msg = 'Input should be a valid boolean, unable to interpret input'
    return { type: 'bool_parsing', loc, msg, input }
  }
  if (types.has('null')) return { type: 'none_required', loc, msg: 'Input should be None', input }
  // An object or array where a single string came: left to Ajv, which reports the type.
  return undefined
}

/**
 * Converts the values a parameter or form field arrived with: every value for an array schema
 * (repeated query keys, repeated form fields), otherwise the one `pick` chooses.
 *
 * @example
 * ```ts
 * coerceValues(document, { type: 'array', items: { type: 'integer' } }, ['1', '2'], ['query', 'n'])
 * // { value: [1, 2], issues: [] }
 * ```
 */
export function coerceValues(
  document: OpenApiDocument,
  schema: unknown,
  values: readonly string[],
  loc: Loc,
  pick: Pick = 'first',
): Coerced {
  const types = schemaTypes(document, schema)
  if (types.has('array') && !types.has('string')) {
    const items = isRecord(schema) ? derefObject(document, schema).items : undefined
    const converted = values.map((text, index) =>
      coerceScalar(document, items, text, [...loc, index]),
    )
    return {
      value: converted.map((c) => c.value),
      issues: converted.flatMap((c) => c.issues),
    }
  }
  const text = pick === 'first' ? values[0] : values[values.length - 1]
  if (text === undefined) return { value: undefined, issues: [] }
  return { ...coerceScalar(document, schema, text, loc), sent: text }
}
