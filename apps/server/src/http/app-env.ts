/**
 * What the middleware of the app leaves on the context for the routes: the request's id
 * (`hono/request-id`) and, on operations that take an API key, its owner (`security/guard.ts`).
 *
 * @example
 * ```ts
 * new Hono<AppEnv>().get('/sessions/:id', guard.for('get_session'), (c) => c.text(c.var.owner))
 * ```
 */
export interface AppEnv {
  Variables: {
    requestId: string
    /** Whose request this is: an API key's owner, or the anonymous owner of an open server. */
    owner: string
  }
}
