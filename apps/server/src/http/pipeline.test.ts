import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from './app-env.ts'
import { afterNext, asMiddleware, fromMiddleware, pipeline, type Step } from './pipeline.ts'

/** A step that writes its name into `order` on the way in and on the way out. */
const named =
  (name: string, order: string[]): Step =>
  (c, next) => {
    order.push(`${name} in`)
    return afterNext(next(), () => {
      order.push(`${name} out ${c.res.status}`)
    })
  }

const onError = (error: Error, c: { json: (body: unknown, status: 500) => Response }) =>
  c.json({ detail: error.message }, 500)

describe('pipeline', () => {
  it('answers at once when no step waits, with the steps in order around the handler', async () => {
    const order: string[] = []
    const app = new Hono<AppEnv>().get(
      '/x',
      pipeline([named('a', order), named('b', order)], (c) => c.text('done')),
    )
    const answer = app.request('/x')
    expect(answer).toBeInstanceOf(Response)
    expect(await (answer as Response).text()).toBe('done')
    expect(order).toEqual(['a in', 'b in', 'b out 200', 'a out 200'])
  })

  it('waits for a step that waits, and for Hono middleware, in the same order', async () => {
    const order: string[] = []
    const waits: Step = async (_c, next) => {
      await Promise.resolve()
      order.push('waits')
      return next()
    }
    const middleware = fromMiddleware(async (c, next) => {
      await next()
      c.header('X-After', 'yes')
    })
    const app = new Hono<AppEnv>().get(
      '/x',
      pipeline([named('a', order), waits, middleware], async (c) => c.text('done')),
    )
    const answer = app.request('/x')
    expect(answer).toBeInstanceOf(Promise)
    const response = await answer
    expect(await response.text()).toBe('done')
    expect(response.headers.get('X-After')).toBe('yes')
    expect(order).toEqual(['a in', 'waits', 'a out 200'])
  })

  it('answers a step that refuses, and never runs what comes after it', async () => {
    const order: string[] = []
    const refuse: Step = (c) => c.json({ detail: 'no' }, 401)
    const app = new Hono<AppEnv>().get(
      '/x',
      pipeline([named('a', order), refuse, named('never', order)], (c) => c.text('done')),
    )
    expect((await app.request('/x')).status).toBe(401)
    expect(order).toEqual(['a in', 'a out 401'])
  })

  it('answers an error with onError where it was thrown: the steps before see that answer and c.error', async () => {
    const throwing = {
      'at once': () => {
        throw new Error('at once')
      },
      later: async () => {
        throw new Error('later')
      },
    }
    for (const [message, handler] of Object.entries(throwing)) {
      const seen: string[] = []
      const watch: Step = (c, next) =>
        afterNext(next(), () => {
          seen.push(`${c.res.status} ${c.error?.message}`)
        })
      const app = new Hono<AppEnv>().get('/x', pipeline([watch], handler, onError))
      const answer = await app.request('/x')
      expect(answer.status).toBe(500)
      expect(await answer.json()).toEqual({ detail: message })
      expect(seen).toEqual([`500 ${message}`])
    }
  })

  it('refuses to leave a request unanswered when a step neither answers nor goes on', async () => {
    const silent: Step = () => undefined
    const app = new Hono<AppEnv>()
      .get(
        '/x',
        pipeline([silent], (c) => c.text('done')),
      )
      .onError((error, c) => c.text(error.message, 500))
    const answer = await app.request('/x')
    expect(answer.status).toBe(500)
    expect(await answer.text()).toBe('A step neither answered nor called next()')
  })

  it('runs a step as Hono middleware, in app.use', async () => {
    const order: string[] = []
    const app = new Hono<AppEnv>()
      .use(asMiddleware(named('a', order)))
      .get('/x', (c) => c.text('x'))
    expect(await (await app.request('/x')).text()).toBe('x')
    expect(order).toEqual(['a in', 'a out 200'])
  })
})
