/**
 * What an operation's handler sees, typed from the contract generated from openapi.yaml: its
 * validated input (`c.req.valid(...)`) and its JSON answers (`c.json(body, status)`), so that an
 * undocumented status, a missing field or a renamed one is a type error. Types only: at run time
 * `c` is Hono's own context, and `c.json` Hono's own method.
 */
import type { OperationId, operations } from '@uxmate/contract'
import type { Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { ValidatedInput } from '../validation/openapi/types.ts'

type Responses<Op extends OperationId> = operations[Op]['responses']

/** The statuses openapi.yaml documents for an operation. */
export type DocumentedStatus<Op extends OperationId> = Extract<keyof Responses<Op>, number>

/** The JSON body openapi.yaml documents for an operation and status. */
export type ResponseBody<
  Op extends OperationId,
  Status extends DocumentedStatus<Op>,
> = Responses<Op>[Status] extends { content: { 'application/json': infer Body } } ? Body : never

/** The body of an operation's 200 JSON answer (`never` for an operation without one). */
export type OkBody<Op extends OperationId> =
  Responses<Op> extends { 200: { content: { 'application/json': infer Body } } } ? Body : never

/** `c.json` for operation `Op`: a status it documents, with that status's body. */
export type OperationJson<Op extends OperationId> = <Status extends DocumentedStatus<Op>>(
  body: ResponseBody<Op, Status>,
  status: Status,
  headers?: Record<string, string>,
) => Response

/**
 * The context of operation `Op`'s handler: Hono's, with `c.req.valid()` and `c.json()` typed
 * from the contract (the shape of `@hono/zod-openapi`'s handlers).
 *
 * @example
 * ```ts
 * const answer = (c: OperationContext<'get_agent'>) =>
 *   c.json({ detail: 'Agent not found' }, 404) // a 405, or `{ message }`, would not compile
 * ```
 */
export type OperationContext<Op extends OperationId> = Omit<
  Context<AppEnv, string, ValidatedInput<Op>>,
  'json'
> & { json: OperationJson<Op> }
