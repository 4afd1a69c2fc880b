import type { OperationId } from '@uxmate/contract'
import type { Handler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { ValidatedInput } from '../validation/openapi/types.ts'

/** An operation's handler, declared once by its operationId (see `mount-operations.ts`). */
export interface OperationHandler {
  readonly operationId: OperationId
  // The input type is per operation; the table checks the pairing at start.
  // biome-ignore lint/suspicious/noExplicitAny: handlers of different operations in one list.
  readonly handle: Handler<AppEnv, string, any>
}

/**
 * Declares the handler of operation `operationId`: its path, method, guard, validation,
 * idempotency and read cache all come from openapi.yaml, and `c.req.valid(...)` is typed from
 * the generated contract. The shape of `@hono/zod-openapi`'s `app.openapi(route, handler)`, with
 * the YAML as the route.
 *
 * @example
 * ```ts
 * operation('get_agent', (c) => {
 *   const agent = agents.get(c.req.valid('param').agent_id)
 *   return agent
 *     ? typedJson(c, 'get_agent', 200, agent.profile)
 *     : typedJson(c, 'get_agent', 404, { detail: 'Agent not found' })
 * })
 * ```
 */
export function operation<Op extends OperationId>(
  operationId: Op,
  handle: Handler<AppEnv, string, ValidatedInput<Op>>,
): OperationHandler {
  return { operationId, handle }
}
