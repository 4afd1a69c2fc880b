/**
 * Spec-driven fuzzing: generators of parameter values and bodies from openapi.yaml's schemas
 * (valid instances from json-schema-faker, seeded by fast-check so a failure replays), hostile
 * strings, broken bodies, and the oracle that says what the server must answer to each.
 */
import { fc } from '@fast-check/vitest'
import { generateSync } from 'json-schema-faker'
import { expect } from 'vitest'
import { readBody, unroutedProblem } from './conformance.ts'
import { recordValidatedPair } from './coverage.ts'
import { inlineRefs, type JsonSchema, type Operation, type Parameter } from './spec.ts'
import { specValidator, validateResponse } from './spec-validator.ts'

/** Strings that have broken servers before. */
export const hostileStrings: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u202Egnp.exe\u202C',
  '\u200F\u200Ertl',
  '\u200B',
  '\uFEFF',
  'x'.repeat(10_000),
  '😀',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%00',
  '<script>alert(1)</script>',
  "' OR '1'='1' --",
  `\${jndi:ldap://127.0.0.1/a}`,
  '{{7*7}}',
  '\r\nX-Injected: 1',
  '   ',
  '\t',
  '',
  '-1',
  '1e308',
  'null',
  'true',
  '[]',
  '{}',
]

/** A hostile string: a known one, or any unicode, or any code units. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
)

/** Valid instances of a schema of the document, from json-schema-faker with a fast-check seed. */
export function fromSchema(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const resolved = inlineRefs(specValidator().document, schema ?? {}) as JsonSchema
  return fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) =>
    generateSync(resolved as Parameters<typeof generateSync>[0], {
      seed,
      maxLength: 200,
      maxItems: 3,
    }),
  )
}

/** A value as it travels in a path, query or header: a string. */
export function wire(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

// pydantic's lax booleans, as the server reads them.
const TRUTHY = new Set(['1', 'on', 't', 'true', 'y', 'yes'])
const FALSY = new Set(['0', 'off', 'f', 'false', 'n', 'no'])

/** A string as the server reads it from the wire, converted the way its schema says. */
export function fromWire(schema: JsonSchema | undefined, raw: string): unknown {
  const type = schema?.type
  if ((type === 'integer' || type === 'number') && /^-?\d+$/.test(raw)) return Number(raw)
  if (type === 'boolean') {
    const word = raw.trim().toLowerCase()
    if (TRUTHY.has(word)) return true
    if (FALSY.has(word)) return false
  }
  return raw
}

/**
 * Whether a parameter value (as sent) is valid for its schema. An array parameter travels as
 * the parameter repeated, one value each (a single value is a list of one).
 */
export function isValidParam(param: Parameter, raw: string | string[]): boolean {
  const schema = param.schema
  const value =
    schema?.type === 'array'
      ? (Array.isArray(raw) ? raw : [raw]).map((item) =>
          fromWire(inlineRefs(specValidator().document, schema.items ?? {}) as JsonSchema, item),
        )
      : fromWire(schema, Array.isArray(raw) ? (raw[0] ?? '') : raw)
  return specValidator().validate(schema, value).length === 0
}

/** `undefined`: leave the parameter out; a list: the parameter repeated (an array's items). */
export type ParamChoice = string | string[] | undefined

/** Values for one parameter: absent, valid per its schema, a hostile string, or a wrong type. */
export function paramValue(param: Parameter, extraValid: string[] = []): fc.Arbitrary<ParamChoice> {
  const schema = param.schema
  const wrongType =
    schema?.type === 'integer'
      ? fc.constantFrom('abc', '1.5', '', '0x10', '1,000', '99999999999999999999', '-0', '0')
      : fc.constantFrom('', 'y'.repeat(1000))
  const valid =
    schema?.type === 'array'
      ? fromSchema(schema).map((items) => (Array.isArray(items) ? items.map(wire) : [wire(items)]))
      : fromSchema(schema).map(wire)
  const choices: Array<fc.WeightedArbitrary<ParamChoice>> = [
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ]
  if (extraValid.length > 0) choices.push({ weight: 4, arbitrary: fc.constantFrom(...extraValid) })
  return fc.oneof(...choices)
}

/** Whether `value` has a C0 control character other than TAB, or DEL (not allowed in headers). */
export function hasControlCharacter(value: string): boolean {
  return [...value].some((char) => {
    const code = char.codePointAt(0) ?? 0
    return (code < 0x20 && code !== 0x09) || code === 0x7f
  })
}

/** Header values must be legal in HTTP (NUL, CR and LF are not; nor past U+00FF), and are trimmed. */
export function headerSafe(value: string): string | undefined {
  const legal = [...value].every((char) => {
    const code = char.codePointAt(0) ?? 0
    return code !== 0 && code !== 0x0a && code !== 0x0d && code <= 0xff
  })
  return legal && value.trim() === value ? value : undefined
}

/**
 * A path segment for a value. `.` and `..` cannot be sent as a segment (URLs resolve them, even
 * percent-encoded), and an empty one names another path: `undefined` for those.
 */
export function pathSegment(value: string): string | undefined {
  if (value === '' || value === '.' || value === '..') return undefined
  try {
    return encodeURIComponent(value).replaceAll('.', '%2E')
  } catch {
    return undefined // a lone surrogate cannot be percent-encoded
  }
}

/** Whether `body` is FastAPI's 422: `{ detail: [{ type, loc, msg, input }, ...] }`. */
export function expectFastApi422(body: unknown, context: string): void {
  expect(body, context).toMatchObject({ detail: expect.any(Array) })
  const detail = (body as { detail: unknown[] }).detail
  expect(detail.length, `${context}: detail lists at least one problem`).toBeGreaterThan(0)
  for (const item of detail) {
    expect(item, context).toMatchObject({
      type: expect.any(String),
      loc: expect.any(Array),
      msg: expect.any(String),
    })
    expect(Object.keys(item as object), `${context}: each problem carries input`).toContain('input')
    const [where] = (item as { loc: unknown[] }).loc
    expect(['path', 'query', 'header', 'body'], context).toContain(where)
  }
}

export type Expectation =
  /** The request is valid: any documented status except 413/415/422 (unless listed here). */
  | { valid: true; alsoAllowed?: number[] }
  /** The request is invalid: 422 in FastAPI's shape, or one of `alsoAllowed` (413, 415). */
  | { valid: false; alsoAllowed?: number[] }

/**
 * The fuzz oracle: never a 5xx, never a status the operation does not document, a body valid
 * for that status, and for an invalid request a 422 in FastAPI's shape (or an allowed 413/415).
 * Records the validated pair for the coverage gate.
 */
export async function expectSane(
  op: Operation,
  response: Response,
  expectation: Expectation,
  describeRequest: string,
): Promise<{ status: number; body: unknown }> {
  const { text, value } = await readBody(response)
  const context = `${describeRequest} -> ${response.status} ${text.slice(0, 300)}`
  expect(response.status, `no 5xx: ${context}`).toBeLessThan(500)
  const problems = validateResponse(
    op.operationId,
    response.status,
    response.headers.get('content-type'),
    value,
    response.headers,
  )
  problems.push(...unroutedProblem(op.operationId, response.status, value))
  expect(problems, `conforms to openapi.yaml: ${context}`).toEqual([])
  const also = expectation.alsoAllowed ?? []
  if (expectation.valid) {
    expect(
      [413, 415, 422].filter((s) => !also.includes(s)),
      `a valid request: ${context}`,
    ).not.toContain(response.status)
  } else {
    expect([422, ...also], `an invalid request: ${context}`).toContain(response.status)
    if (response.status === 422) expectFastApi422(value, context)
  }
  recordValidatedPair({ operationId: op.operationId, status: response.status, via: 'fuzz' })
  return { status: response.status, body: value }
}

/**
 * Fast-check's settings for the suite: bounded runs. `FC_SEED` replays a reported failure (with
 * the seed printed next to it); `FC_RUNS` runs more cases for a deeper search.
 */
export function fuzzParameters(
  numRuns: number,
): Pick<fc.Parameters, 'numRuns' | 'seed' | 'verbose' | 'interruptAfterTimeLimit'> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED)
  return {
    numRuns: process.env.FC_RUNS === undefined ? numRuns : Number(process.env.FC_RUNS),
    ...(seed === undefined ? {} : { seed }),
    // The counterexample and the seed to replay it are printed on failure.
    verbose: 1,
    interruptAfterTimeLimit: process.env.FC_RUNS === undefined ? 20_000 : undefined,
  }
}
