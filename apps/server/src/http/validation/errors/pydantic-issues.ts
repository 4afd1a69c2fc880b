/**
 * Ajv's errors in pydantic's words. pydantic stops at the first failed check of a value (type,
 * then length, then pattern...), so where Ajv (with `allErrors`) reports several problems for
 * one location, only the one pydantic would have reported is kept.
 */
import type { ErrorObject } from 'ajv'
import {
  expectedValues,
  type Loc,
  missingIssue,
  plural,
  type ValidationIssue,
  valueErrorIssue,
} from './fastapi-errors.ts'
import { dateError, dateTimeError, timeError, uuidError } from './format-errors.ts'

type Params = Record<string, unknown>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A pydantic-shaped problem, and how early pydantic would have checked it (lower first). */
interface Ranked {
  issue: ValidationIssue
  rank: number
}

/**
 * What a `missing` issue shows as `input`: FastAPI validates parameters and form fields one by
 * one (`null`), but a JSON body as one model, whose missing fields show the object they are
 * missing from (`parent`).
 */
export type MissingInput = 'null' | 'parent'

/**
 * Maps Ajv's errors for `data` to pydantic issues located under `prefix`, one per location.
 * Ajv must run with `verbose: true` (errors then carry the offending `data` and `parentSchema`).
 *
 * @example
 * ```ts
 * if (!validate(body)) issues.push(...ajvIssues(validate.errors, ['body'], body, 'parent'))
 * ```
 */
export function ajvIssues(
  errors: readonly ErrorObject[] | null | undefined,
  prefix: Loc,
  data: unknown,
  missingInput: MissingInput = 'null',
): ValidationIssue[] {
  const best = new Map<string, Ranked>()
  const unions: ValidationIssue[] = []
  for (const error of errors ?? []) {
    const loc = [...prefix, ...locFromPointer(error.instancePath, data)]
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'allOf') {
      // The branches' own errors say more; this summary is only kept if nothing else is.
      const params = error.params as Params
      if (error.keyword === 'oneOf' && Array.isArray(params.passingSchemas)) {
        const message = 'Input should match exactly one of the allowed schemas'
        unions.push(valueErrorIssue(loc, message, error.data))
      } else if (error.keyword !== 'allOf') {
        unions.push(valueErrorIssue(loc, 'Input does not match any allowed schema', error.data))
      }
      continue
    }
    const ranked = toIssue(error, loc, missingInput)
    if (!ranked) continue
    const key = JSON.stringify(ranked.issue.loc)
    const previous = best.get(key)
    if (!previous || ranked.rank < previous.rank) best.set(key, ranked)
  }
  const issues = [...best.values()].map((r) => r.issue)
  for (const union of unions) {
    const covered = issues.some((issue) => startsWith(issue.loc, union.loc))
    if (!covered) issues.push(union)
  }
  return issues
}

/** Does `loc` lie at or under `prefix`? */
export function startsWith(loc: Loc, prefix: Loc): boolean {
  return prefix.length <= loc.length && prefix.every((part, i) => loc[i] === part)
}

/** `/a/0/b` to `['a', 0, 'b']`: array indices become numbers, as pydantic reports them. */
function locFromPointer(pointer: string, data: unknown): Loc {
  if (pointer === '') return []
  const loc: Loc = []
  let node: unknown = data
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) {
      const index = Number(key)
      loc.push(index)
      node = node[index]
    } else {
      loc.push(key)
      node = isRecord(node) ? node[key] : undefined
    }
  }
  return loc
}

function toIssue(error: ErrorObject, loc: Loc, missingInput: MissingInput): Ranked | undefined {
  const params = error.params as Params
  const input = error.data
  const issue = (rank: number, type: string, msg: string, ctx?: Params): Ranked => ({
    rank,
    issue: ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input },
  })
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired': {
      const missing = missingIssue([...loc, String(params.missingProperty)])
      return { rank: 0, issue: missingInput === 'parent' ? { ...missing, input } : missing }
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty)
      const extra = isRecord(input) ? input[name] : undefined
      const msg = 'Extra inputs are not permitted'
      return { rank: 0, issue: { type: 'extra_forbidden', loc: [...loc, name], msg, input: extra } }
    }
    case 'enum': {
      const expected = expectedValues((params.allowedValues as unknown[]) ?? [])
      return issue(0, 'enum', `Input should be ${expected}`, { expected })
    }
    case 'const': {
      const expected = expectedValues([params.allowedValue])
      return issue(0, 'literal_error', `Input should be ${expected}`, { expected })
    }
    case 'type':
      return typeIssue(error, issue)
    case 'format':
      return formatIssue(String(params.format), input, loc, issue)
    case 'minLength': {
      const limit = Number(params.limit)
      const msg = `String should have at least ${plural(limit, 'character')}`
      return issue(3, 'string_too_short', msg, { min_length: limit })
    }
    case 'maxLength': {
      const limit = Number(params.limit)
      const msg = `String should have at most ${plural(limit, 'character')}`
      return issue(4, 'string_too_long', msg, { max_length: limit })
    }
    case 'pattern': {
      const pattern = String(params.pattern)
      return issue(5, 'string_pattern_mismatch', `String should match pattern '${pattern}'`, {
        pattern,
      })
    }
    case 'multipleOf': {
      const n = params.multipleOf
      return issue(3, 'multiple_of', `Input should be a multiple of ${n}`, { multiple_of: n })
    }
    case 'maximum':
      return issue(4, 'less_than_equal', `Input should be less than or equal to ${params.limit}`, {
        le: params.limit,
      })
    case 'exclusiveMaximum':
      return issue(5, 'less_than', `Input should be less than ${params.limit}`, {
        lt: params.limit,
      })
    case 'minimum':
      return issue(
        6,
        'greater_than_equal',
        `Input should be greater than or equal to ${params.limit}`,
        { ge: params.limit },
      )
    case 'exclusiveMinimum':
      return issue(7, 'greater_than', `Input should be greater than ${params.limit}`, {
        gt: params.limit,
      })
    case 'minItems':
    case 'minProperties':
      return lengthIssue('too_short', 'at least', error, input, issue)
    case 'maxItems':
    case 'maxProperties':
      return lengthIssue('too_long', 'at most', error, input, issue)
    case 'uniqueItems':
      return { rank: 8, issue: valueErrorIssue(loc, 'List items should be unique', input) }
    default:
      return { rank: 9, issue: valueErrorIssue(loc, error.message ?? 'Invalid input', input) }
  }
}

type Make = (rank: number, type: string, msg: string, ctx?: Params) => Ranked

function typeIssue(error: ErrorObject, issue: Make): Ranked {
  const declared = error.parentSchema?.type ?? (error.params as Params).type
  const types = Array.isArray(declared) ? declared.map(String) : String(declared).split(',')
  // `[string, 'null']` is pydantic's `Optional[str]`: it reports the non-null member.
  const expected = types.find((t) => t !== 'null') ?? 'null'
  const input = error.data
  switch (expected) {
    case 'string':
      return issue(1, 'string_type', 'Input should be a valid string')
    case 'integer':
      if (typeof input === 'string') {
        const msg = 'Input should be a valid integer, unable to parse string as an integer'
        return issue(1, 'int_parsing', msg)
      }
      if (typeof input === 'number') {
        const msg = 'Input should be a valid integer, got a number with a fractional part'
        return issue(1, 'int_from_float', msg)
      }
      return issue(1, 'int_type', 'Input should be a valid integer')
    case 'number':
      if (typeof input === 'string') {
        const msg = 'Input should be a valid number, unable to parse string as a number'
        return issue(1, 'float_parsing', msg)
      }
      return issue(1, 'float_type', 'Input should be a valid number')
    case 'boolean':
      if (typeof input === 'string' || typeof input === 'number') {
        const msg = 'Input should be a valid boolean, unable to interpret input'
        return issue(1, 'bool_parsing', msg)
      }
      return issue(1, 'bool_type', 'Input should be a valid boolean')
    case 'object':
      // A schema with properties is a pydantic model; FastAPI validates those `from_attributes`.
      return isRecord(error.parentSchema?.properties)
        ? issue(
            1,
            'model_attributes_type',
            'Input should be a valid dictionary or object to extract fields from',
          )
        : issue(1, 'dict_type', 'Input should be a valid dictionary')
    case 'array':
      return issue(1, 'list_type', 'Input should be a valid list')
    default:
      return issue(1, 'none_required', 'Input should be None')
  }
}

function formatIssue(format: string, input: unknown, loc: Loc, issue: Make): Ranked {
  const text = typeof input === 'string' ? input : String(input)
  const parsing = (type: string, lead: string, error: string): Ranked =>
    issue(2, type, `${lead}, ${error}`, { error })
  switch (format) {
    case 'uuid':
      return parsing('uuid_parsing', 'Input should be a valid UUID', uuidError(text))
    // pydantic reads a date-time string as a date when it can, and the other way round.
    case 'date-time':
      return parsing(
        'datetime_from_date_parsing',
        'Input should be a valid datetime or date',
        dateTimeError(text),
      )
    case 'date':
      return parsing(
        'date_from_datetime_parsing',
        'Input should be a valid date or datetime',
        dateError(text),
      )
    case 'time':
      return parsing('time_parsing', 'Input should be in a valid time format', timeError(text))
    case 'uri':
    case 'url':
    case 'iri':
      return parsing(
        'url_parsing',
        'Input should be a valid URL',
        /^[a-z][a-z0-9+.-]*:/i.test(text) ? 'invalid URL' : 'relative URL without a base',
      )
    case 'email': {
      const reason = text.includes('@')
        ? 'The part after the @-sign is not valid.'
        : 'An email address must have an @-sign.'
      return issue(6, 'value_error', `value is not a valid email address: ${reason}`, { reason })
    }
    case 'ipv4':
      return issue(2, 'ip_v4_address', 'Input is not a valid IPv4 address')
    case 'ipv6':
      return issue(2, 'ip_v6_address', 'Input is not a valid IPv6 address')
    default:
      return {
        rank: 6,
        issue: valueErrorIssue(loc, `Input should match format '${format}'`, input),
      }
  }
}

function lengthIssue(
  type: 'too_short' | 'too_long',
  bound: 'at least' | 'at most',
  error: ErrorObject,
  input: unknown,
  issue: Make,
): Ranked {
  const limit = Number((error.params as Params).limit)
  const list = Array.isArray(input)
  const actual = list ? input.length : isRecord(input) ? Object.keys(input).length : 0
  const fieldType = list ? 'List' : 'Dictionary'
  const msg = `${fieldType} should have ${bound} ${plural(limit, 'item')} after validation, not ${actual}`
  const key = type === 'too_short' ? 'min_length' : 'max_length'
  return issue(type === 'too_short' ? 3 : 4, type, msg, {
    field_type: fieldType,
    [key]: limit,
    actual_length: actual,
  })
}
