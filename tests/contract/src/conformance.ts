/**
 * The one check every real server response in the suite goes through: validate it against
 * openapi.yaml, fail the test with every problem if it does not conform, and otherwise record
 * the (operationId, status) pair for the coverage gate.
 */
import { expect } from 'vitest'
import { recordValidatedPair } from './coverage.ts'
import { sentFields } from './field-coverage.ts'
import { loadSpec, operation } from './spec.ts'
import { isJson, validateResponse } from './spec-validator.ts'

export interface ExpectConformantOptions {
  /** The status the scenario expects; the response must have it. */
  status?: number | readonly number[]
  /** How the response was obtained, for the coverage record. */
  via: string
  /** Headers that must be present with exactly these values, e.g. `Preference-Applied`. */
  headers?: Record<string, string>
}

export interface ConformantResponse<T = unknown> {
  status: number
  headers: Headers
  /** The body: parsed JSON for JSON responses, else the raw bytes. */
  body: T
}

/**
 * The server's answer to a path or method it has no route for (FastAPI's, kept for old clients):
 * a `404` with `{"detail": "Not Found"}`. It fits any documented 404 schema, so it is told apart
 * by its text: the operation's own 404s say what was not found.
 */
export function unroutedProblem(operationId: string, status: number, body: unknown): string[] {
  const detail = (body as { detail?: unknown } | null)?.detail
  return status === 404 && detail === 'Not Found'
    ? [`${operationId} 404: the server has no route for this operation (its catch-all 'Not Found')`]
    : []
}

/** Reads a response body once: parsed JSON when it says JSON (the text if it is not), else bytes. */
export async function readBody(response: Response): Promise<{ text: string; value: unknown }> {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
  if (isJson(type)) {
    const text = await response.text()
    try {
      return { text, value: JSON.parse(text) }
    } catch {
      return { text, value: text }
    }
  }
  const bytes = new Uint8Array(await response.arrayBuffer())
  return { text: new TextDecoder().decode(bytes), value: bytes }
}

/**
 * Asserts that a response of the real server conforms to openapi.yaml for `operationId` (status,
 * Content-Type, body, documented headers) and records the pair as covered.
 *
 * @example
 * ```ts
 * const { body } = await expectConformant('get_health', await app.request('/health'), {
 *   status: 200,
 *   via: 'in-process',
 * })
 * ```
 */
export async function expectConformant<T = unknown>(
  operationId: string,
  response: Response,
  options: ExpectConformantOptions,
): Promise<ConformantResponse<T>> {
  const { text, value } = await readBody(response)
  const contentType = response.headers.get('content-type')
  const problems = validateResponse(
    operationId,
    response.status,
    contentType,
    value,
    response.headers,
  )
  problems.push(...unroutedProblem(operationId, response.status, value))
  for (const [name, expected] of Object.entries(options.headers ?? {})) {
    const actual = response.headers.get(name)
    if (actual !== expected)
      problems.push(
        `${operationId} ${response.status}: header ${name} is ${actual}, not ${expected}`,
      )
  }
  const expectedStatuses =
    options.status === undefined ? [] : ([] as number[]).concat(options.status)
  const context = `${operationId} answered ${response.status} ${contentType ?? ''}: ${text.slice(0, 500)}`
  if (expectedStatuses.length > 0)
    expect(expectedStatuses, `status of ${context}`).toContain(response.status)
  expect(problems, `the response does not conform to openapi.yaml: ${context}`).toEqual([])
  const { document } = loadSpec()
  const fields = sentFields(document, operation(operationId), response.status, value)
  recordValidatedPair({ operationId, status: response.status, via: options.via, fields })
  return { status: response.status, headers: response.headers, body: value as T }
}
