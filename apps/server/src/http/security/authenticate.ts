import type { Context } from 'hono'
import { ANONYMOUS_OWNER } from '../../domain/session-store.ts'
import type { AppEnv } from '../app-env.ts'
import type { ApiKeyLookup } from './api-keys.ts'

/** `Authorization: Bearer <key>` (RFC 6750): the key, or `undefined` for anything else. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(authorization ?? '')
  return match?.[1]
}

/**
 * Finds whose request `c` is and records it as `c.get('owner')`; answers `401` (FastAPI's
 * `Not authenticated`, with `WWW-Authenticate: Bearer`) when keys are configured and the
 * request has none, or one nobody owns. Without keys (open mode) every request is the
 * anonymous owner's and `Authorization` is not looked at, so old clients keep working.
 *
 * @example
 * ```ts
 * const refused = authenticate(c, loadApiKeys('keys.yaml'))
 * if (refused) return refused
 * ```
 */
export function authenticate(
  c: Context<AppEnv>,
  apiKeys: ApiKeyLookup | undefined,
): Response | undefined {
  if (!apiKeys) {
    c.set('owner', ANONYMOUS_OWNER)
    return undefined
  }
  const sent = c.req.header('Authorization')
  const key = bearerToken(sent)
  const owner = key === undefined ? undefined : apiKeys(key)
  if (owner !== undefined) {
    c.set('owner', owner)
    return undefined
  }
  // The same answer for a missing and a wrong key: nothing to learn from trying.
  return c.json({ detail: 'Not authenticated' }, 401, {
    'WWW-Authenticate': sent === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
  })
}
