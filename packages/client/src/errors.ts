/**
 * The errors the client throws. Every one extends `UxmateError`, so one `instanceof` check
 * separates them from bugs in the caller's own code; the subclasses say what went wrong:
 *
 * - `UxmateApiError`: the server answered with a status that is not a success;
 * - `UxmateNetworkError`: no answer at all (DNS, refused connection, reset, CORS, ...);
 * - `UxmateTimeoutError`: the client's own deadline (`timeoutMs`) ran out first.
 *
 * Aborts through the caller's own `signal` are not wrapped: they reject with the signal's
 * `reason`, as `fetch` does, so existing `AbortError` handling keeps working.
 */
import type {
  ErrorResponse,
  HTTPValidationError,
  OperationId,
  ValidationError,
} from '@uxmate/contract'

/** The base class of every error the client throws on purpose. */
export class UxmateError extends Error {
  override readonly name: string = 'UxmateError'
  /**
   * The operation that failed, e.g. `get_session`; `undefined` for a call through `raw` that
   * failed before an answer came back.
   */
  operationId: OperationId | undefined
  /** The `X-Request-Id` of the failed request: the server's answer, else the one sent, if any. */
  requestId: string | undefined

  constructor(
    message: string,
    options: { cause?: unknown; operationId?: OperationId; requestId?: string | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.operationId = options.operationId
    this.requestId = options.requestId
  }
}

/** A `422`: the request does not match openapi.yaml; `errors` lists every problem. */
export interface ValidationProblem {
  kind: 'validation'
  status: 422
  body: HTTPValidationError
  errors: ValidationError[]
}

/** Any other documented error: FastAPI's `{ detail: string }`. */
export interface DetailProblem {
  kind: 'detail'
  status: number
  body: ErrorResponse
  detail: string
}

/** An answer in neither documented shape, e.g. an HTML page from a proxy. */
export interface UnknownProblem {
  kind: 'unknown'
  status: number
  /** The body as received: parsed JSON, else text. */
  body: unknown
}

/** What the server said about a failed request; switch on `kind`. */
export type ApiProblem = ValidationProblem | DetailProblem | UnknownProblem

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** Reads an error body into its documented shape, keeping what does not fit as `unknown`. */
export function toProblem(status: number, body: unknown): ApiProblem {
  if (status === 422 && isObject(body) && Array.isArray(body.detail)) {
    const validation = body as HTTPValidationError
    return { kind: 'validation', status, body: validation, errors: validation.detail ?? [] }
  }
  if (isObject(body) && typeof body.detail === 'string') {
    return { kind: 'detail', status, body: body as ErrorResponse, detail: body.detail }
  }
  return { kind: 'unknown', status, body }
}

function describe(problem: ApiProblem): string {
  switch (problem.kind) {
    case 'validation':
      return problem.errors
        .map((error) => {
          // `loc` starts with where the value was (`body`, `query`, ...); the rest names it.
          const field = error.loc.slice(1).join('.')
          return field ? `${field}: ${error.msg}` : error.msg
        })
        .join('; ')
    case 'detail':
      return problem.detail
    default:
      return typeof problem.body === 'string' ? problem.body.slice(0, 200) : ''
  }
}

/**
 * The server answered with an error status. `problem` is the parsed body, discriminated by
 * `kind`; `isValidationError()` narrows to a `422`.
 *
 * @example
 * ```ts
 * try {
 *   await client.sessions.updateSession(id, { text_prompt: 'Go on' })
 * } catch (error) {
 *   if (error instanceof UxmateApiError && error.status === 409) {
 *     await client.sessions.waitForSession(id)
 *   } else if (error instanceof UxmateApiError && error.isValidationError()) {
 *     for (const problem of error.problem.errors) console.warn(problem.loc, problem.msg)
 *   } else throw error
 * }
 * ```
 */
export class UxmateApiError extends UxmateError {
  override readonly name: string = 'UxmateApiError'
  override operationId: OperationId
  /** The HTTP status, e.g. `404`. */
  readonly status: number
  /** The parsed body, in its documented shape when it has one. */
  readonly problem: ApiProblem
  /** The response; its body has been read already, its headers are there. */
  readonly response: Response

  constructor(operationId: OperationId, response: Response, body: unknown) {
    const problem = toProblem(response.status, body)
    const requestId = response.headers.get('X-Request-Id') ?? undefined
    const summary = describe(problem)
    super(
      `${operationId} failed with ${response.status}${summary ? `: ${summary}` : ''}${
        requestId ? ` (request id ${requestId})` : ''
      }`,
      { operationId, requestId },
    )
    this.operationId = operationId
    this.status = response.status
    this.problem = problem
    this.response = response
  }

  /** Narrows to a `422` whose `problem.errors` lists what the server rejected. */
  isValidationError(): this is UxmateApiError & { status: 422; problem: ValidationProblem } {
    return this.problem.kind === 'validation'
  }

  /** The error's `detail` text, when the body had FastAPI's `{ detail: string }` shape. */
  get detail(): string | undefined {
    return this.problem.kind === 'detail' ? this.problem.detail : undefined
  }
}

/** No answer came back: the connection failed, was reset, or was refused by CORS. */
export class UxmateNetworkError extends UxmateError {
  override readonly name: string = 'UxmateNetworkError'
  /** The request's method, e.g. `GET`. */
  readonly method: string
  /** The request's URL. */
  readonly url: string

  constructor(request: Request, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`${request.method} ${request.url} failed: ${reason}`, {
      cause,
      requestId: request.headers.get('X-Request-Id') ?? undefined,
    })
    this.method = request.method
    this.url = request.url
  }
}

/** The client's deadline ran out before the call (or `waitForSession`) finished. */
export class UxmateTimeoutError extends UxmateError {
  override readonly name: string = 'UxmateTimeoutError'
  /** The deadline that ran out, in milliseconds. */
  readonly timeoutMs: number

  constructor(timeoutMs: number, message = `The request took longer than ${timeoutMs} ms`) {
    super(message)
    this.timeoutMs = timeoutMs
  }
}
