import type { OperationId, operations } from '@uxmate/contract'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

type Responses<Op extends OperationId> = operations[Op]['responses']

/** The statuses openapi.yaml documents for an operation. */
export type DocumentedStatus<Op extends OperationId> = Extract<keyof Responses<Op>, number>

/** The JSON body openapi.yaml documents for an operation and status. */
export type ResponseBody<
  Op extends OperationId,
  Status extends DocumentedStatus<Op>,
> = Responses<Op>[Status] extends { content: { 'application/json': infer Body } } ? Body : never

/**
 * Answers with JSON that the compiler has checked against openapi.yaml: an undocumented status,
 * a missing field or a renamed one is a type error.
 *
 * @example
 * ```ts
 * return typedJson(c, 'get_session', 404, { detail: 'Session not found' })
 * ```
 */
export function typedJson<Op extends OperationId, Status extends DocumentedStatus<Op>>(
  c: Context,
  _operation: Op,
  status: Status,
  body: ResponseBody<Op, Status>,
  headers?: Record<string, string>,
): Response {
  return c.json(body as object, status as ContentfulStatusCode, headers)
}
