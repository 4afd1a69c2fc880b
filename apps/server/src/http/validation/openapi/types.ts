/**
 * What `c.req.valid(...)` returns after `validator.for(operationId)`, derived from the contract's
 * generated `operations`: the compiler knows each operation's query, path, header, JSON and form
 * values without anything written per route.
 */
import type { OperationId, operations } from '@uxmate/contract'
import type { UploadedFile } from '../body/uploaded-file.ts'

type Operation<Op extends OperationId> = operations[Op]
type OperationParameters<Op extends OperationId> = Operation<Op>['parameters']
type RequestBodyOf<Op extends OperationId> =
  Operation<Op> extends { requestBody?: infer B } ? B : never

/** `T` without `undefined`, or `never` when nothing is left (`query?: never`). */
type Present<T> = [NonNullable<T>] extends [never] ? never : NonNullable<T>

type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** Drops the targets an operation does not have, so `c.req.valid('json')` on a GET is an error. */
type WithoutNever<T> = { [K in keyof T as [T[K]] extends [never] ? never : K]: T[K] }

/** The schema of one request media type, `| undefined` when the body is optional. */
type BodyContent<Op extends OperationId, Media extends string> = [
  Present<RequestBodyOf<Op>>,
] extends [never]
  ? never
  : Present<RequestBodyOf<Op>> extends { content: infer Content }
    ? Media extends keyof Content
      ? undefined extends RequestBodyOf<Op>
        ? Content[Media] | undefined
        : Content[Media]
      : never
    : never

type FileListKeys<F> = {
  [K in keyof F]-?: NonNullable<F[K]> extends Blob[] ? K : never
}[keyof F]

/**
 * Form fields as a handler gets them: a binary field (`Blob` in the contract) is an
 * {@link UploadedFile}, and a list of them is always present, possibly empty.
 */
export type FormOutput<F> = [F] extends [never]
  ? never
  : Simplify<
      {
        [K in keyof F as K extends FileListKeys<F> ? never : K]: NonNullable<F[K]> extends Blob
          ? UploadedFile | Extract<F[K], undefined>
          : F[K]
      } & { [K in FileListKeys<F>]-?: UploadedFile[] }
    >

type AsStrings<T> = [T] extends [never] ? never : { [K in keyof T]: string | string[] }

/** Validated values by Hono target, for one operation. */
export type ValidatedOutput<Op extends OperationId> = WithoutNever<{
  param: Present<OperationParameters<Op>['path']>
  query: Present<OperationParameters<Op>['query']>
  header: Present<OperationParameters<Op>['header']>
  json: BodyContent<Op, 'application/json'>
  form: FormOutput<NonNullable<BodyContent<Op, 'multipart/form-data'>>>
}>

/** What a client sends, by Hono target (used by Hono's RPC client types). */
export type ValidatedRequestInput<Op extends OperationId> = WithoutNever<{
  param: AsStrings<Present<OperationParameters<Op>['path']>>
  query: AsStrings<Present<OperationParameters<Op>['query']>>
  header: AsStrings<Present<OperationParameters<Op>['header']>>
  json: BodyContent<Op, 'application/json'>
  form: BodyContent<Op, 'multipart/form-data'>
}>

/**
 * Hono's `Input` for a route validated by `validator.for(Op)`.
 *
 * @example
 * ```ts
 * type Put = ValidatedInput<'update_session'>['out']['json'] // { text_prompt: string }
 * ```
 */
export interface ValidatedInput<Op extends OperationId> {
  in: ValidatedRequestInput<Op>
  out: ValidatedOutput<Op>
}
