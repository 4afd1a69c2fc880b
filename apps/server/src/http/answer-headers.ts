/**
 * The headers every answer carries: the security headers, the request's id and whatever the
 * middleware on the way added (the RateLimit headers). They are gathered per request in a plain
 * record and put on the answer once, at the end; an answer made with {@link completeAnswer}
 * carries them from the start, so that it never needs a `Headers` object at all (setting ~15
 * headers one by one on a `Headers` costs more than the rest of a cached read). Its own headers
 * come merged with its path's security headers beforehand ({@link answerHead}): a kept read
 * merges them once, when it is kept, and each answer then copies one record.
 */
import { randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import type { AppEnv } from './app-env.ts'
import { afterNext, type Step } from './pipeline.ts'
import { securityHeadersFor } from './security/secure-headers.ts'

/** A caller's own X-Request-Id is kept when it is this short and made of these characters. */
const MAX_REQUEST_ID = 128
const REQUEST_ID_CHARS = /^[\w\-=]+$/

// Marks an answer that already carries every header: the middleware leaves it alone. A
// property of the answer, not a WeakSet of them: adding to a WeakSet and looking it up cost
// ~0.3 µs a request (micro-benchmark), ~1% of the limit's whole request.
const COMPLETE = Symbol('every header on it')
type Marked = Response & { [COMPLETE]?: true }

/**
 * Middleware, first in the app: gives the request its id (the caller's `X-Request-Id` if it is
 * a sensible one) and the time it came in (`now`, ms), and puts the headers every answer
 * carries on the answer.
 *
 * @example
 * ```ts
 * app.use(answerHeaders(() => clock.now().getTime()))
 * ```
 */
export function answerHeaders(now: () => number = Date.now): Step {
  return (c, next) => {
    c.set('receivedAt', now())
    const sent = c.req.header('X-Request-Id')
    const id =
      sent && sent.length <= MAX_REQUEST_ID && REQUEST_ID_CHARS.test(sent) ? sent : randomUUID()
    c.set('requestId', id)
    c.set('answerHeaders', { 'X-Request-Id': id })
    return afterNext(next(), () => {
      if ((c.res as Marked)[COMPLETE]) return
      const headers = c.res.headers
      for (const [name, value] of Object.entries(everyAnswersHeaders(c))) headers.set(name, value)
    })
  }
}

/** What of a request's context an answer's headers come from: any operation's context has it. */
export type AnswerContext = Pick<Context<AppEnv>, 'get' | 'req'>

function everyAnswersHeaders(c: AnswerContext): Record<string, string> {
  return { ...securityHeadersFor(c.req.path), ...c.get('answerHeaders') }
}

/**
 * Adds headers for the answer to come, whatever it turns out to be (a 429 included).
 *
 * @example
 * ```ts
 * addAnswerHeaders(c, { 'RateLimit-Policy': '"default";q=100;w=2' })
 * ```
 */
export function addAnswerHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  Object.assign(c.get('answerHeaders'), headers)
}

declare const preparedHead: unique symbol

/** An answer's own headers with the security headers of its path, made by {@link answerHead}. */
export type AnswerHead = Readonly<Record<string, string>> & { readonly [preparedHead]?: never }

/**
 * The security headers of `path` with an answer's own `headers` (which win), as one record to
 * answer with by {@link completeAnswer}: made once for an answer sent again and again.
 *
 * @example
 * ```ts
 * const head = answerHead('/sessions', { 'Content-Type': 'application/json' })
 * ```
 */
export function answerHead(path: string, headers: Record<string, string>): AnswerHead {
  return { ...securityHeadersFor(path), ...headers }
}

/**
 * An answer with every header it must carry already on it, as a plain record: the fast way to
 * answer with bytes at hand. The request's headers (its id, the RateLimit headers) come after
 * `head`'s, which never name them.
 *
 * @example
 * ```ts
 * return completeAnswer(c, bytes, 200, answerHead(c.req.path, { 'Content-Type': 'application/json' }))
 * ```
 */
export function completeAnswer(
  c: AnswerContext,
  body: Uint8Array<ArrayBuffer> | string | null,
  status: number,
  head: AnswerHead,
): Response {
  // A copy of a record of the same shape each time, then a few keys: cheaper than merging the
  // ~16 headers one by one (3% of a kept get's CPU, profiled).
  const headers: Record<string, string> = { ...head }
  const response: Marked = new Response(body, {
    status,
    headers: Object.assign(headers, c.get('answerHeaders')),
  })
  response[COMPLETE] = true
  return response
}
