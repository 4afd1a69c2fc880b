/**
 * The steps a request goes through (request id, log, metrics, host and origin checks, the
 * guard, kept answers, validation...) run as one handler per route, in order, each calling
 * `next` as Hono middleware does. Unlike Hono's own chain, a step that has nothing to wait for
 * answers at once: a kept read is answered without a promise, and @hono/node-server then writes
 * a `Response` it gets at once without a turn of the microtask queue or a `close` listener.
 * Measured (issue 21): the bare-Hono limit paid ~7 µs of CPU a request more with five
 * pass-through async middleware than with none; a kept get's instructions fell by 16-18% with
 * this pipeline (callgrind, see docs/performance.md, "The kept get").
 */
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono'
import type { AppEnv } from './app-env.ts'

/** A value at once, or one to wait for. */
export type Eventually<T> = T | Promise<T>

/** What a step calls to run the steps after it and the route's handler. */
export type Next = () => Eventually<void>

/**
 * A step of the pipeline: Hono middleware that may answer, or go on, without a promise.
 *
 * @example
 * ```ts
 * const name: Step = (c, next) => {
 *   c.set('operation', { operationId: 'get_session', route: '/sessions/{session_id}' })
 *   return next()
 * }
 * ```
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a step that goes on gives what next() gives (void), as Hono middleware does
export type Step = (c: Context<AppEnv>, next: Next) => Eventually<Response | undefined | void>

/** The route's handler, last in the pipeline. */
export type Answer = (c: Context<AppEnv>) => Eventually<Response>

/**
 * Runs `then` once what `next()` gave (`done`) is done: at once when it is not a promise.
 *
 * @example
 * ```ts
 * const logged: Step = (c, next) => afterNext(next(), () => log(c.res.status))
 * ```
 */
export function afterNext<T>(done: Eventually<void>, then: () => T): Eventually<T> {
  return done instanceof Promise ? done.then(then) : then()
}

/**
 * Hono middleware (which awaits `next()`) as a step: its `next` is given a promise.
 *
 * @example
 * ```ts
 * const steps = [fromMiddleware(cors({ origin: '*' }))]
 * ```
 */
export function fromMiddleware(middleware: MiddlewareHandler<AppEnv>): Step {
  return (c, next) =>
    middleware(c, async () => {
      await next()
    })
}

/**
 * A step as Hono middleware, for `app.use()` (Hono's chain awaits whatever it returns).
 *
 * @example
 * ```ts
 * app.use(asMiddleware(hostPolicy({ enforce: true, allowedHosts: [] })))
 * ```
 */
export function asMiddleware(step: Step): MiddlewareHandler<AppEnv> {
  return async (c, next) => (await step(c, next)) ?? undefined
}

/** Keeps a step's answer as the request's, as Hono's chain does: the first one set stays. */
// biome-ignore lint/suspicious/noConfusingVoidType: a step that goes on gives what next() gives (void), as Hono middleware does
function settle(c: Context<AppEnv>, answer: Response | undefined | void): void {
  if (answer && !c.finalized) c.res = answer
}

/**
 * One Hono handler running `steps`, then `answer`, with the semantics of Hono's chain: an
 * `Error` thrown by a step or the handler is answered by `onError` where it was thrown (the
 * steps before it see that answer, and `c.error`), the first answer set is the request's, and a
 * step that neither answers nor calls `next` leaves the request unanswered (an error). Returns
 * the `Response` itself when no step waited, a promise of it otherwise.
 *
 * @example
 * ```ts
 * app.get('/sessions/:session_id', pipeline([answerHeaders(), guard], (c) => c.json({}), onError))
 * ```
 */
export function pipeline(
  steps: readonly Step[],
  answer: Answer,
  onError?: ErrorHandler<AppEnv>,
): (c: Context<AppEnv>) => Eventually<Response> {
  const failed = (c: Context<AppEnv>, error: unknown): Eventually<void> => {
    if (!(error instanceof Error) || !onError) throw error
    c.error = error
    const handled = onError(error, c)
    if (handled instanceof Promise)
      return handled.then((res) => {
        c.res = res
      })
    c.res = handled
  }
  const run = (c: Context<AppEnv>, index: number): Eventually<void> => {
    // biome-ignore lint/suspicious/noConfusingVoidType: a step that goes on gives what next() gives (void), as Hono middleware does
    let out: Eventually<Response | undefined | void>
    try {
      const step = steps[index]
      out = step ? step(c, () => run(c, index + 1)) : answer(c)
    } catch (error) {
      return failed(c, error)
    }
    if (out instanceof Promise)
      return out.then(
        (res) => settle(c, res),
        (error: unknown) => failed(c, error),
      )
    settle(c, out)
  }
  const answered = (c: Context<AppEnv>): Response => {
    if (!c.finalized) throw new Error('A step neither answered nor called next()')
    return c.res
  }
  return (c) => {
    const done = run(c, 0)
    return done instanceof Promise ? done.then(() => answered(c)) : answered(c)
  }
}
