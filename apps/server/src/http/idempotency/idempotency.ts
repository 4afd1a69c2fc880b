/**
 * `Idempotency-Key` on the operations that change a session: a retry of a request that was
 * answered gets the same answer back and does nothing again (see openapi.yaml's
 * `IdempotencyKey` parameter for the rules a client relies on).
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import type { Clock } from '../../domain/clock.ts'
import type { IdempotencyStore, StoredAnswer } from '../../domain/idempotency-store.ts'
import type { AppEnv } from '../app-env.ts'
import { toContractBody } from '../validation/index.ts'
import { requestFingerprint } from './fingerprint.ts'

/** How long an answer is kept for replays. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** What a client waiting on a request in progress is told to wait before asking again. */
const RETRY_AFTER_SECONDS = 1

/** The headers of an answer that belong to it (the rest are per request: ids, rate limits). */
const KEPT_HEADERS = ['content-type', 'preference-applied', 'location']

/** Which session an operation's answer shows, so that deleting the session deletes it too. */
export type AnswerAbout =
  /** The session in the path (`/sessions/{session_id}`). */
  | 'path'
  /** The session the request created: the answer's `id`. */
  | 'created'
  /** No session's content (a delete's empty answer). */
  | 'nothing'

export interface IdempotencyOptions {
  store: IdempotencyStore
  clock: Clock
  /** A request still unanswered after this long was cut off, and its key is free again. */
  abandonAfterMs: number
}

export interface Idempotency {
  /**
   * The middleware for an operation that takes the header (see `operations/operation-table.ts`),
   * after its request is validated (the key's form, and the body the fingerprint is made of)
   * and before its handler; `about` says which session its answers show.
   */
  for(about: AnswerAbout): MiddlewareHandler<AppEnv>
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

/** The id of the session a JSON answer shows, if it shows one. */
function createdSessionId(answer: StoredAnswer): string | undefined {
  try {
    const id = (JSON.parse(new TextDecoder().decode(answer.body)) as { id?: unknown }).id
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

/**
 * @example
 * ```ts
 * const idempotency = createIdempotency({
 *   store: store.idempotency,
 *   clock,
 *   abandonAfterMs,
 * })
 * app.put('/sessions/:session_id', guard, validate, idempotency.for('path'), handler)
 * ```
 */
export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const { store, clock, abandonAfterMs } = options

  return {
    for(about) {
      return async (c, next) => {
        const key = c.req.header('Idempotency-Key')
        if (key === undefined) return next()
        const owner = c.get('owner')
        const now = clock.now()
        const pathSession = about === 'path' ? c.req.param('session_id') : undefined
        const outcome = await store.claim(
          {
            owner,
            key,
            fingerprint: requestFingerprint({
              method: c.req.method,
              path: c.req.path,
              body: validatedBody(c),
            }),
            ...(pathSession !== undefined && { sessionId: pathSession }),
          },
          {
            now,
            expiredBefore: new Date(now.getTime() - IDEMPOTENCY_TTL_MS),
            abandonedBefore: new Date(now.getTime() - abandonAfterMs),
          },
        )
        switch (outcome.kind) {
          case 'mismatch':
            return c.json(
              toContractBody([
                {
                  type: 'idempotency_key_reused',
                  loc: ['header', 'Idempotency-Key'],
                  msg:
                    'This Idempotency-Key was used for a different request (another method, ' +
                    'path or body); use a new key for a new request',
                  input: key,
                },
              ]),
              422,
            )
          case 'in_progress':
            return c.json(
              {
                detail:
                  'A request with this Idempotency-Key is still in progress; retry after ' +
                  'Retry-After seconds',
              },
              409,
              { 'Retry-After': String(RETRY_AFTER_SECONDS) },
            )
          case 'replay': {
            const { status, headers, body } = outcome.answer
            const replayed = { ...headers, 'Idempotent-Replayed': 'true' }
            return status === 204 || body.byteLength === 0
              ? c.body(null, status as StatusCode, replayed)
              : c.body(new Uint8Array(body), status as ContentfulStatusCode, replayed)
          }
        }

        try {
          await next()
        } finally {
          // Only a success is kept: after an error nothing was done, and a retry may do it.
          const response = c.res
          if (response.status >= 200 && response.status < 300) {
            const answer = await answerOf(response)
            const sessionId = about === 'created' ? createdSessionId(answer) : undefined
            await store.complete(owner, key, answer, sessionId)
          } else {
            await store.release(owner, key)
          }
        }
      }
    },
  }
}
