/**
 * `Idempotency-Key` on the operations that change a session: a retry of a request whose work
 * was done gets its answer back and does nothing again; a retry of one whose work was not done
 * does it, once (see openapi.yaml's `IdempotencyKey` parameter for the rules a client relies
 * on, and `domain/idempotency-store.ts` for how the key and the work commit together).
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import type { Clock } from '../../domain/clock.ts'
import {
  IdempotencyKeyTaken,
  type IdempotencyStore,
  type KeyedRequest,
  type KeyLookup,
  type KeyOutcome,
  type StoredAnswer,
} from '../../domain/idempotency-store.ts'
import type { Logger } from '../../domain/logger.ts'
import type { AppEnv } from '../app-env.ts'
import { toContractBody } from '../validation/index.ts'
import { requestFingerprint } from './fingerprint.ts'

/** How long an answer is kept for replays. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** The headers of an answer that belong to it (the rest are per request: ids, rate limits). */
const KEPT_HEADERS = ['content-type', 'preference-applied', 'location']

export interface IdempotencyOptions {
  store: IdempotencyStore
  clock: Clock
  logger: Logger
  /**
   * The answer to a retry whose request's work is done but whose answer is not stored: the
   * session of `outcome` as it is now (see `SessionService.resume`).
   */
  resume(c: Context<AppEnv>, outcome: KeyOutcome): Promise<Response>
}

export interface Idempotency {
  /**
   * The middleware for an operation that takes the header (see `operations/operation-table.ts`),
   * after its request is validated (the key's form, and the body the fingerprint is made of)
   * and before its handler. A key not used yet is left on the context for the handler
   * (`keyFor`), which hands it to the service: the store takes it with the request's work.
   */
  step: MiddlewareHandler<AppEnv>
}

/**
 * The request's key, for the service to take with its work, naming the answer it gives once
 * the work is done; `undefined` without an `Idempotency-Key`.
 *
 * @example
 * ```ts
 * const session = await sessions.rename(owner, id, name, keyFor(c, 200))
 * ```
 */
export function keyFor(
  c: Pick<Context<AppEnv>, 'get'>,
  status: number,
  headers: Record<string, string> = {},
): KeyedRequest | undefined {
  const pending = c.get('idempotencyKey')
  return pending && { ...pending, status, headers }
}

/** The body a validator left on the request, JSON or form, for the fingerprint. */
function validatedBody(c: Context<AppEnv>): unknown {
  const request = c.req as unknown as { valid(target: 'json' | 'form'): unknown }
  return request.valid('json') ?? request.valid('form')
}

async function answerOf(response: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const value = response.headers.get(name)
    if (value !== null) headers[name] = value
  }
  return {
    status: response.status,
    headers,
    body: new Uint8Array(await response.clone().arrayBuffer()),
  }
}

/**
 * @example
 * ```ts
 * const idempotency = createIdempotency({ store: store.idempotency, clock, logger, resume })
 * app.put('/sessions/:session_id', guard, validate, idempotency.step, handler)
 * ```
 */
export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const { store, clock, logger } = options

  /** The answer a retry gets from what its key holds. */
  async function answerFrom(
    c: Context<AppEnv>,
    key: string,
    found: Exclude<KeyLookup, { kind: 'free' }>,
  ): Promise<Response> {
    switch (found.kind) {
      case 'mismatch':
        return c.json(
          toContractBody([
            {
              type: 'idempotency_key_reused',
              loc: ['header', 'Idempotency-Key'],
              msg:
                'This Idempotency-Key was used for a different request (another method, ' +
                'path, query or body); use a new key for a new request',
              input: key,
            },
          ]),
          422,
        )
      case 'replay': {
        const { status, headers, body } = found.answer
        const replayed = { ...headers, 'Idempotent-Replayed': 'true' }
        return status === 204 || body.byteLength === 0
          ? c.body(null, status as StatusCode, replayed)
          : c.body(new Uint8Array(body), status as ContentfulStatusCode, replayed)
      }
      case 'resume': {
        const response = await options.resume(c, found.outcome)
        // A 404: the session was deleted since; that answer is the session's, not a replay.
        if (response.status === found.outcome.status)
          response.headers.set('Idempotent-Replayed', 'true')
        return response
      }
    }
  }

  return {
    step: async (c, next) => {
      const key = c.req.header('Idempotency-Key')
      if (key === undefined) return next()
      const owner = c.get('owner')
      const now = clock.now()
      const request = {
        owner,
        key,
        fingerprint: requestFingerprint({
          method: c.req.method,
          path: c.req.path,
          body: validatedBody(c),
          query: c.req.queries(),
        }),
        now,
        expiredBefore: new Date(now.getTime() - IDEMPOTENCY_TTL_MS),
      }
      const found = await store.lookup(request)
      if (found.kind !== 'free') return answerFrom(c, key, found)

      c.set('idempotencyKey', request)
      await next()
      // The same request sent twice at once: the other took the key, this one's work was
      // rolled back. Its answer is the other's.
      if (c.error instanceof IdempotencyKeyTaken) {
        c.res = await answerFrom(c, key, c.error.found)
        return
      }
      const response = c.res
      if (response.status >= 200 && response.status < 300) {
        // The work is done and the client gets its answer: a failure to keep it must not
        // turn that answer into an error (a retry answers the outcome instead).
        try {
          await store.complete(owner, key, await answerOf(response))
        } catch (error) {
          logger.warn('could not store an idempotent answer', {
            request_id: c.get('requestId'),
            error: String(error),
          })
        }
        return
      }
      // An error answer. If the work was done all the same (it failed after its commit), or
      // a request with the same key did it meanwhile, the answer is that work's outcome.
      let after: KeyLookup = { kind: 'free' }
      try {
        after = await store.lookup(request)
      } catch {
        // The error answer stands.
      }
      if (after.kind !== 'free') c.res = await answerFrom(c, key, after)
    },
  }
}
