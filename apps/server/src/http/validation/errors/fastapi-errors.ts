/**
 * FastAPI's 422 body and pydantic v2's error vocabulary. Old clients (`uxmate_client`) were
 * generated against FastAPI, so every validation problem is reported in pydantic's words: same
 * `type`, same `msg`, same `ctx`.
 */
import type { HTTPValidationError } from '@uxmate/contract'

/** Where a problem is: `["query", "limit"]`, `["body", "files", 2]`. */
export type Loc = Array<string | number>

/** One problem, in pydantic v2's shape (FastAPI drops pydantic's `url`). */
export interface ValidationIssue {
  type: string
  loc: Loc
  msg: string
  input: unknown
  ctx?: Record<string, unknown>
}

/** FastAPI's validation error body. */
export interface ValidationErrorBody {
  detail: ValidationIssue[]
}

/**
 * `"Field required"`: FastAPI reports a missing parameter or form field with `input: null`.
 *
 * @example
 * ```ts
 * missingIssue(['query', 'agent_id'])
 * // { type: 'missing', loc: ['query', 'agent_id'], msg: 'Field required', input: null }
 * ```
 */
export function missingIssue(loc: Loc): ValidationIssue {
  return { type: 'missing', loc, msg: 'Field required', input: null }
}

/**
 * pydantic's `value_error`, as raised by a custom validator: the message gets pydantic's
 * `"Value error, "` prefix and is kept in `ctx.error`.
 *
 * @example
 * ```ts
 * valueErrorIssue(['query', 'tz'], "Unknown time zone 'Mars/Base'", 'Mars/Base')
 * ```
 */
export function valueErrorIssue(loc: Loc, message: string, input: unknown): ValidationIssue {
  return {
    type: 'value_error',
    loc,
    msg: `Value error, ${message}`,
    input,
    ctx: { error: message },
  }
}

/**
 * A whole 422 body with one `value_error`, for checks only a handler can make (an unknown time
 * zone, a cursor that does not decode). Typed as the contract's `HTTPValidationError` so it goes
 * straight into an operation's typed `c.json(..., 422)`.
 *
 * @example
 * ```ts
 * if (!isKnownTimeZone(tz))
 *   return c.json(validationError(['query', 'tz'], `Unknown time zone '${tz}'`, tz), 422)
 * ```
 */
export function validationError(loc: Loc, message: string, input: unknown): HTTPValidationError {
  return toContractBody([valueErrorIssue(loc, message, input)])
}

/**
 * The contract types `ctx` as an empty object (openapi-typescript's reading of a bare
 * `type: object`); at run time it holds pydantic's context values, hence the one cast here.
 */
export function toContractBody(issues: ValidationIssue[]): HTTPValidationError {
  return { detail: issues } as HTTPValidationError
}

/** `1 character`, `2 characters`: pydantic's `{expected_plural}`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** Python's `repr()` of a JSON value, as pydantic prints expected values. */
export function pythonRepr(value: unknown): string {
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
    const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t')
    return quote === "'" ? `'${escaped.replace(/'/g, "\\'")}'` : `"${escaped}"`
  }
  if (typeof value === 'number') return String(value)
  return JSON.stringify(value)
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: how pydantic lists the values an input should be. */
export function expectedValues(values: readonly unknown[]): string {
  const reprs = values.map(pythonRepr)
  if (reprs.length <= 1) return reprs.join('')
  return `${reprs.slice(0, -1).join(', ')} or ${reprs[reprs.length - 1]}`
}
