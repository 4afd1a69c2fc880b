import { openapiDocument } from '@uxmate/contract/document'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../../config/config.ts'
import type { AppEnv } from '../app-env.ts'
import { createOpenApiValidator } from '../validation/index.ts'
import { mountOperations, type OperationSteps } from './mount-operations.ts'
import { type OperationHandler, operation } from './operation-handler.ts'
import { compileOperationTable } from './operation-table.ts'

const validator = createOpenApiValidator(openapiDocument, defaultConfig.limits)
const table = compileOperationTable(openapiDocument, validator.operations)

/** Steps that write their names into the answer, to see which ran, in which order. */
function tracingSteps(): OperationSteps {
  const step =
    (name: string): MiddlewareHandler<AppEnv> =>
    async (c, next) => {
      c.header('X-Steps', name, { append: true })
      await next()
    }
  return {
    guard: step('guard'),
    keptAnswers: step('kept'),
    validate: (request) => validator.middleware(request),
    idempotency: (about) => step(`idempotency:${about}`),
  }
}

/** A handler for every operation, answering its operationId. */
const everyHandler = (): OperationHandler[] =>
  [...table.keys()].map((id) => operation(id, (c) => c.text(id)))

describe('mountOperations', () => {
  it('routes each operation to its handler behind the steps its entry names', async () => {
    const app = new Hono<AppEnv>()
    mountOperations(app, table, everyHandler(), tracingSteps())
    const grouped = await app.request('/sessions/grouped')
    expect(await grouped.text()).toBe('get_grouped_sessions')
    expect(grouped.headers.get('X-Steps')).toBe('guard, kept')
    const session = await app.request('/sessions/0190c3a0-0000-7000-8000-000000000000')
    expect(await session.text()).toBe('get_session')
    const renamed = await app.request('/sessions/0190c3a0-0000-7000-8000-000000000000', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Trip' }),
    })
    expect(await renamed.text()).toBe('rename_session')
    expect(renamed.headers.get('X-Steps')).toBe('guard, idempotency:path')
    const health = await app.request('/health')
    expect(await health.text()).toBe('get_health')
    expect(health.headers.get('X-Steps')).toBeNull()
    const invalid = await app.request('/sessions?limit=0')
    expect(invalid.status).toBe(422)
  })

  it('refuses to start without a handler for an operation of openapi.yaml', () => {
    const handlers = everyHandler().filter((handler) => handler.operationId !== 'cancel_session')
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "no handler for 'cancel_session' of openapi.yaml",
    )
  })

  it('refuses to start with a handler for an operation openapi.yaml does not have', () => {
    const handlers = [
      ...everyHandler(),
      {
        operationId: 'archive_session',
        handle: () => new Response(),
      } as unknown as OperationHandler,
    ]
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "a handler for 'archive_session', which openapi.yaml does not have",
    )
  })

  it('refuses to start with two handlers for one operation', () => {
    const handlers = [...everyHandler(), operation('get_health', (c) => c.text('again'))]
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "two handlers for 'get_health'",
    )
  })
})
