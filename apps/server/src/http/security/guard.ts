import type { RateBudget } from '../../domain/rate-budget.ts'
import type { Step } from '../pipeline.ts'
import type { ApiKeyLookup } from './api-keys.ts'
import { authenticate } from './authenticate.ts'
import { clientAddress } from './client-address.ts'
import { AuthFailureLimiter, OwnerRateLimiter } from './rate-limit.ts'
import type { RateLimit } from './token-bucket.ts'

export interface GuardOptions {
  /** Who owns a key; `undefined` runs open (every request the anonymous owner's). */
  apiKeys: ApiKeyLookup | undefined
  /** Each owner's rate; `undefined` for none. */
  rateLimit: RateLimit | undefined
  /**
   * Where the owners' budgets are shared with the other instances (PostgreSQL), and how many
   * tokens an instance takes at once; without it each owner's bucket is in memory here.
   */
  sharedRateLimit?: { budget: RateBudget; batch: number; onError?: (error: unknown) => void }
  /** Each client address's rate of failed authentications; `undefined` for none. */
  authFailures?: { limit: RateLimit; maxAddresses: number }
  /** Told of each refusal and why (metrics). */
  onRefused?: (reason: 'unauthenticated' | 'rate_limited' | 'auth_rate_limited') => void
}

/**
 * The middleware that goes first on every operation whose `security` in openapi.yaml names an
 * API key (see `operations/operation-table.ts`): authentication (its failures limited per client
 * address), then the owner's rate limit, all before the body is read. Buckets are counted at the
 * time the request came in (`receivedAt`, on the app's clock): nothing waits before the guard,
 * and a second reading of the clock was ~1% of a kept get's CPU (profiled).
 *
 * @example
 * ```ts
 * const guard = createGuard({ apiKeys, rateLimit })
 * app.get('/sessions/:session_id', pipeline([guard], handler))
 * ```
 */
export function createGuard(options: GuardOptions): Step {
  const { apiKeys, onRefused } = options
  const limiter =
    options.rateLimit && new OwnerRateLimiter(options.rateLimit, options.sharedRateLimit)
  const failures =
    options.authFailures &&
    new AuthFailureLimiter(options.authFailures.limit, options.authFailures.maxAddresses)
  const refuse = (limited: Response) => {
    onRefused?.('rate_limited')
    return limited
  }
  // No promise unless the owner's token is to be taken from the shared budget.
  return (c, next) => {
    const unknown = authenticate(c, apiKeys)
    if (unknown) {
      const limited = failures?.failed(c, clientAddress(c), c.get('receivedAt'))
      onRefused?.(limited ? 'auth_rate_limited' : 'unauthenticated')
      return limited ?? unknown
    }
    const checked = limiter?.check(c, c.get('receivedAt'))
    if (checked instanceof Promise)
      return checked.then((limited) => (limited ? refuse(limited) : next()))
    return checked ? refuse(checked) : next()
  }
}
