import type { OperationId } from '@uxmate/contract'
import type { OpenApiDocument } from '@uxmate/contract/document'
import type { MiddlewareHandler } from 'hono'
import type { Clock } from '../../domain/clock.ts'
import type { AppEnv } from '../app-env.ts'
import type { ApiKeyLookup } from './api-keys.ts'
import { authenticate } from './authenticate.ts'
import { OwnerRateLimiter } from './rate-limit.ts'
import type { RateLimit } from './token-bucket.ts'

/** The security scheme openapi.yaml declares for API keys. */
const SCHEME = 'bearerAuth'

export interface GuardOptions {
  document: OpenApiDocument
  /** Who owns a key; `undefined` runs open (every request the anonymous owner's). */
  apiKeys: ApiKeyLookup | undefined
  /** Each owner's rate; `undefined` for none. */
  rateLimit: RateLimit | undefined
  clock: Clock
}

export interface Guard {
  /**
   * The middleware that goes first on an operation's route: authentication, then the owner's
   * rate limit, both before the body is read. Which operations take a key is openapi.yaml's
   * say (`security`); asking for one that takes none, or that does not exist, throws at start.
   */
  for(operationId: OperationId): MiddlewareHandler<AppEnv>
}

/**
 * @example
 * ```ts
 * const guard = createGuard({ document: openapiDocument, apiKeys, rateLimit, clock })
 * app.get('/sessions/:session_id', guard.for('get_session'), validator.for('get_session'), handler)
 * ```
 */
export function createGuard(options: GuardOptions): Guard {
  const { document, apiKeys, clock } = options
  const limiter = options.rateLimit && new OwnerRateLimiter(options.rateLimit)

  const operations = new Map(
    Object.values(document.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) =>
        typeof operation === 'object' && operation && 'operationId' in operation
          ? [[operation.operationId, operation] as const]
          : [],
      ),
    ),
  )

  return {
    for(operationId) {
      const operation = operations.get(operationId)
      if (!operation) throw new Error(`openapi.yaml has no operation '${operationId}'`)
      const security = operation.security ?? document.security ?? []
      if (!security.some((requirement) => SCHEME in requirement))
        throw new Error(`openapi.yaml says ${operationId} takes no API key: it needs no guard`)
      return async (c, next) => {
        const refused = authenticate(c, apiKeys) ?? limiter?.check(c, clock.now().getTime())
        if (refused) return refused
        await next()
      }
    },
  }
}
