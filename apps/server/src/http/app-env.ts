import type { KeyClaim } from '../domain/idempotency-store.ts'

/**
 * What the middleware of the app leaves on the context for the routes: the request's id
 * (`answer-headers.ts`) and, on operations that take an API key, its owner (`security/guard.ts`).
 * Read them with `c.get()`: `c.var` builds a new object on every use.
 *
 * @example
 * ```ts
 * operation('get_session', (c) => c.text(c.get('owner')))
 * ```
 */
export interface AppEnv {
  Variables: {
    requestId: string
    /** When the request came in (ms, on the app's clock), before any of its work. */
    receivedAt: number
    /** Headers for the answer, whatever it is (see `answer-headers.ts`). */
    answerHeaders: Record<string, string>
    /** Whose request this is: an API key's owner, or the anonymous owner of an open server. */
    owner: string
    /**
     * The operation the request was routed to, and its path in openapi.yaml
     * (`/sessions/{session_id}`): unset outside the API (docs, the web app, unknown paths).
     */
    operation?: { operationId: string; route: string }
    /** An `Idempotency-Key` not used yet, for the handler to pass on (`idempotency/`). */
    idempotencyKey: KeyClaim | undefined
  }
}
