import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../../config/config.ts'
import type { AppEnv } from '../app-env.ts'
import { asMiddleware, type Step } from '../pipeline.ts'
import { createOpenApiValidator } from '../validation/index.ts'
import { mountOperations, type OperationSteps } from './mount-operations.ts'
import { keptRead, type OperationHandler, operation } from './operation-handler.ts'
import { compileOperationTable } from './operation-table.ts'

const validator = createOpenApiValidator(openapiDocument, defaultConfig.limits)
const table = compileOperationTable(openapiDocument, validator.operations)

/** Steps that write their names into the answer, to see which ran, in which order. */
function tracingSteps(): OperationSteps {
  const step =
    (name: string): Step =>
    async (c, next) => {
      c.header('X-Steps', name, { append: true })
      await next()
    }
  return {
    guard: step('guard'),
    keptAnswers: step('kept'),
    validate: (request) => validator.middleware(request),
    idempotency: asMiddleware(step('idempotency')),
    keep: async (c, read) => {
      const answer = await read()
      c.header('X-Steps', 'keep', { append: true })
      if (answer instanceof Response) return answer
      return c.text('json' in answer ? answer.json : String(answer.body))
    },
  }
}

/** A handler for every operation, answering its operationId, declared as its entry says. */
const everyHandler = (): OperationHandler[] =>
  [...table.values()].map(({ operationId: id, keepsAnswers }) =>
    keepsAnswers
      ? keptRead(id, async () => ({ body: id as never }))
      : operation(id, (c) => c.text(id)),
  )

describe('mountOperations', () => {
  it('routes each operation to its handler behind the steps its entry names', async () => {
    const app = new Hono<AppEnv>()
    mountOperations(app, table, everyHandler(), tracingSteps())
    const grouped = await app.request('/sessions/grouped')
    expect(await grouped.text()).toBe('get_grouped_sessions')
    expect(grouped.headers.get('X-Steps')).toBe('guard, kept, keep')
    const session = await app.request('/sessions/0190c3a0-0000-7000-8000-000000000000')
    expect(await session.text()).toBe('get_session')
    const renamed = await app.request('/sessions/0190c3a0-0000-7000-8000-000000000000', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Trip' }),
    })
    expect(await renamed.text()).toBe('rename_session')
    expect(renamed.headers.get('X-Steps')).toBe('guard, idempotency')
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
      operation('archive_session' as 'get_health', (c) => c.text('archived')),
    ]
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "a handler for 'archive_session', which openapi.yaml does not have",
    )
  })

  it('refuses to start with a handler declared otherwise than x-uxmate-read-cache says', () => {
    const handlers = everyHandler().map((handler) =>
      handler.operationId === 'get_session'
        ? operation('get_session', (c) => c.text('not kept'))
        : handler.operationId === 'get_agents'
          ? keptRead('get_agents', async (c) => c.json({ agents: [] }, 200))
          : handler,
    )
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "'get_session' keeps its answers (x-uxmate-read-cache): declare it with keptRead()",
    )
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "'get_agents' keeps no answers (no x-uxmate-read-cache): declare it with operation()",
    )
  })

  it('refuses to start with a kept read whose 304 openapi.yaml does not document', () => {
    const entry = table.get('get_session')
    if (!entry) throw new Error('get_session is in openapi.yaml')
    const { '304': _, ...responses } = entry.request.source.responses ?? {}
    const undocumented = new Map(table).set('get_session', {
      ...entry,
      request: { ...entry.request, source: { ...entry.request.source, responses } },
    })
    expect(() => mountOperations(new Hono(), undocumented, everyHandler(), tracingSteps())).toThrow(
      "'get_session' answers conditionally (ETag, If-None-Match), as every kept read does: document its 304",
    )
  })

  it('refuses to start with two handlers for one operation', () => {
    const handlers = [...everyHandler(), operation('get_health', (c) => c.text('again'))]
    expect(() => mountOperations(new Hono(), table, handlers, tracingSteps())).toThrow(
      "two handlers for 'get_health'",
    )
  })
})
