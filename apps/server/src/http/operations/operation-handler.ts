import type { OperationId } from '@uxmate/contract'
import type { Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { FreshAnswer } from '../read-cache.ts'
import type { OkBody, OperationContext } from './operation-context.ts'

type Answer = Response | Promise<Response>

/**
 * An operation's handler, declared once by its operationId (see `mount-operations.ts`): one
 * that answers (`operation`), or, for an operation whose answers are kept
 * (`x-uxmate-read-cache`), one that reads what to keep (`keptRead`).
 */
export type OperationHandler =
  | {
      readonly kind: 'answers'
      readonly operationId: OperationId
      readonly handle: (c: Context<AppEnv>) => Answer
    }
  | {
      readonly kind: 'kept-read'
      readonly operationId: OperationId
      readonly read: (c: Context<AppEnv>) => Promise<Response | FreshAnswer<unknown>>
    }

/**
 * Declares the handler of operation `operationId`. Its path, method, guard, validation and
 * idempotency come from openapi.yaml; `c.req.valid(...)` and `c.json(body, status)` are typed
 * from the generated contract. The shape of `@hono/zod-openapi`'s `app.openapi(route, handler)`,
 * with the YAML as the route.
 *
 * @example
 * ```ts
 * operation('get_agent', (c) => {
 *   const agent = agents.get(c.req.valid('param').agent_id)
 *   return agent ? c.json(agent.profile, 200) : c.json({ detail: 'Agent not found' }, 404)
 * })
 * ```
 */
export function operation<Op extends OperationId>(
  operationId: Op,
  handle: (c: OperationContext<Op>) => Answer,
): OperationHandler {
  // The one cast: Hono's context is the typed one (the validator put the input in place).
  return {
    kind: 'answers',
    operationId,
    handle: handle as unknown as (c: Context<AppEnv>) => Answer,
  }
}

/**
 * Declares the handler of an operation whose answers the read cache keeps
 * (`x-uxmate-read-cache: true` in openapi.yaml): `read` gives the 200 body, which is sent and
 * kept until the owner's sessions change, or answers otherwise (a 404, a 422) with a `Response`
 * of its own, which is never kept. A body that depends on the date in a zone names that `day`.
 *
 * @example
 * ```ts
 * keptRead('get_session', async (c) => {
 *   const session = await sessions.get(c.get('owner'), c.req.valid('param').session_id)
 *   return session === 'not_found'
 *     ? c.json({ detail: 'Session not found' }, 404)
 *     : { body: toSession(session) }
 * })
 * ```
 */
export function keptRead<Op extends OperationId>(
  operationId: Op,
  read: (c: OperationContext<Op>) => Promise<Response | FreshAnswer<OkBody<Op>>>,
): OperationHandler {
  return {
    kind: 'kept-read',
    operationId,
    read: read as unknown as (c: Context<AppEnv>) => Promise<Response | FreshAnswer<unknown>>,
  }
}
