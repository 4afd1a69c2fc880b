import type { OperationId } from '@uxmate/contract'
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { fromMiddleware, pipeline, type Step } from '../pipeline.ts'
import type { FreshAnswer } from '../read-cache.ts'
import type { OperationSpec } from '../validation/openapi/operation-spec.ts'
import type { OperationHandler } from './operation-handler.ts'
import type { OperationEntry, OperationTable } from './operation-table.ts'

/** The steps an operation's handler may be preceded by, in this order, as its entry says. */
export interface OperationSteps {
  /**
   * What runs before everything else on `operationId`'s requests (the request's id, its log
   * line, metrics, the host and origin policies): the app's own steps, in the same pipeline.
   */
  first?: (operationId: OperationId) => readonly Step[]
  /** Authentication and the owner's rate limit, before anything is read. */
  guard: Step
  /** Answers with a kept answer, before validation (the same request validates the same way). */
  keptAnswers: Step
  validate(request: OperationSpec): MiddlewareHandler
  idempotency: MiddlewareHandler<AppEnv>
  /** Answers a `keptRead` handler's request with what it read, and keeps a 200. */
  keep(c: Context<AppEnv>, read: () => Promise<Response | FreshAnswer<unknown>>): Promise<Response>
  /**
   * Names each request by its operation (`c.get('operation')`) before any step, for metrics and
   * traces; off, the step is not there at all.
   */
  nameRequests?: boolean
  /** Answers what a step or a handler threw, where it threw it (the app's `onError`). */
  onError?: ErrorHandler<AppEnv>
}

/** Literal segments before parameters, so `/sessions/grouped` is not taken for a session id. */
function bySpecificity(a: OperationEntry, b: OperationEntry): number {
  const left = a.routePath.split('/')
  const right = b.routePath.split('/')
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const aParam = left[i]?.startsWith(':') ?? false
    const bParam = right[i]?.startsWith(':') ?? false
    if (aParam !== bParam) return aParam ? 1 : -1
  }
  return left.length - right.length
}

/**
 * Every handler by operationId; refuses a missing one, an unknown one, a second one, one
 * declared otherwise than its operation's `x-uxmate-read-cache` says, and a kept read whose
 * `304` (it answers conditionally) openapi.yaml does not document.
 */
function handlersByOperation(
  table: OperationTable,
  handlers: readonly OperationHandler[],
): Map<OperationId, OperationHandler> {
  const byId = new Map<OperationId, OperationHandler>()
  const problems: string[] = []
  for (const handler of handlers) {
    const entry = table.get(handler.operationId)
    if (!entry)
      problems.push(`a handler for '${handler.operationId}', which openapi.yaml does not have`)
    else if (byId.has(handler.operationId))
      problems.push(`two handlers for '${handler.operationId}'`)
    else if (entry.keepsAnswers && handler.kind !== 'kept-read')
      problems.push(
        `'${handler.operationId}' keeps its answers (x-uxmate-read-cache): declare it with keptRead()`,
      )
    else if (!entry.keepsAnswers && handler.kind === 'kept-read')
      problems.push(
        `'${handler.operationId}' keeps no answers (no x-uxmate-read-cache): declare it with operation()`,
      )
    else if (handler.kind === 'kept-read' && !('304' in (entry.request.source.responses ?? {})))
      problems.push(
        `'${handler.operationId}' answers conditionally (ETag, If-None-Match), as every kept read does: document its 304`,
      )
    byId.set(handler.operationId, handler)
  }
  for (const operationId of table.keys())
    if (!byId.has(operationId)) problems.push(`no handler for '${operationId}' of openapi.yaml`)
  if (problems.length > 0)
    throw new Error(`The operations do not match openapi.yaml:\n  - ${problems.join('\n  - ')}`)
  return byId
}

/**
 * Routes every operation of `table` to its handler, each behind the steps its entry names, in
 * one sub-app per first path segment mounted with `app.route()` under it. Each route is one
 * handler, a {@link pipeline} of its steps: a kept read is answered without a promise. Throws at start
 * unless every operation has exactly one handler, declared as its `x-uxmate-read-cache` says
 * (`keptRead` or `operation`), and every handler an operation.
 *
 * @example
 * ```ts
 * mountOperations(app, table, [...sessionOperations(deps), ...agentOperations(deps)], steps)
 * ```
 */
export function mountOperations(
  app: Hono<AppEnv>,
  table: OperationTable,
  handlers: readonly OperationHandler[],
  steps: OperationSteps,
): void {
  const byId = handlersByOperation(table, handlers)
  const subApps = new Map<string, Hono<AppEnv>>()
  for (const entry of [...table.values()].sort(bySpecificity)) {
    let subApp = subApps.get(entry.prefix)
    if (!subApp) {
      subApp = new Hono<AppEnv>()
      subApps.set(entry.prefix, subApp)
    }
    // First: what metrics and traces name the request by, whatever answers it.
    const named = { operationId: entry.operationId, route: entry.request.path }
    const name: Step = (c, next) => {
      c.set('operation', named)
      return next()
    }
    const chain: Step[] = [...(steps.first?.(entry.operationId) ?? [])]
    if (steps.nameRequests) chain.push(name)
    if (entry.takesApiKey) chain.push(steps.guard)
    if (entry.keepsAnswers) chain.push(steps.keptAnswers)
    chain.push(fromMiddleware(steps.validate(entry.request) as MiddlewareHandler<AppEnv>))
    if (entry.takesIdempotencyKey) chain.push(fromMiddleware(steps.idempotency))
    const handler = byId.get(entry.operationId)
    if (!handler) continue
    const handle =
      handler.kind === 'kept-read'
        ? (c: Context<AppEnv>) => steps.keep(c, () => handler.read(c))
        : handler.handle
    const path = entry.routePath.slice(entry.prefix.length) || '/'
    subApp.on([entry.request.method.toUpperCase()], [path], pipeline(chain, handle, steps.onError))
  }
  for (const [prefix, subApp] of subApps) app.route(prefix, subApp)
}
