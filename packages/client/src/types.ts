/**
 * Types of each operation's inputs and outputs, read off `@uxmate/contract`'s `operations`.
 *
 * Nothing here restates a field: every shape comes from the generated contract, so a change to
 * openapi.yaml changes the client's signatures (and breaks its type tests) instead of drifting.
 */
import type { OperationId, operations } from '@uxmate/contract'

type Operation<Id extends OperationId> = operations[Id]
type Responses<Id extends OperationId> = Operation<Id>['responses']

/** The path parameters of an operation, e.g. `{ session_id: string }` for `get_session`. */
export type PathParams<Id extends OperationId> = Operation<Id>['parameters'] extends {
  path: infer Path
}
  ? Path
  : never

/** The query parameters of an operation, e.g. `{ agent_id; limit?; cursor? }` for `get_sessions`. */
export type QueryParams<Id extends OperationId> = NonNullable<Operation<Id>['parameters']['query']>

/** The request body of an operation in one media type, e.g. `application/json`. */
export type RequestBody<
  Id extends OperationId,
  Media extends string,
> = Operation<Id>['requestBody'] extends { content: infer Content }
  ? Media extends keyof Content
    ? Content[Media]
    : never
  : never

/** HTTP statuses the client treats as success. */
type SuccessStatus = 200 | 201 | 202 | 203 | 204

type ContentOf<Response> = Response extends { content: infer Content }
  ? Content[keyof Content]
  : undefined

/** The body of an operation's success responses (the union when `200` and `202` differ). */
export type ResponseData<Id extends OperationId> = {
  [Status in keyof Responses<Id> & SuccessStatus]: ContentOf<Responses<Id>[Status]>
}[keyof Responses<Id> & SuccessStatus]

/** The body of one documented response of an operation, e.g. `ResponseBody<'get_readiness', 503>`. */
export type ResponseBody<Id extends OperationId, Status extends keyof Responses<Id>> = ContentOf<
  Responses<Id>[Status]
>
