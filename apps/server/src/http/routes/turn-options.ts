import type { BusyPolicy } from '@uxmate/contract'
import type { TurnOptions } from '../../domain/session-service.ts'

/**
 * RFC 7240: does the request prefer not to wait? And what does it do when the session is busy
 * (its validated `on_busy` query parameter), asked when (`receivedAt`)?
 *
 * @example
 * ```ts
 * turnOptions('respond-async, wait=10') // { respondAsync: true }
 * turnOptions(undefined, 'interrupt') // { respondAsync: false, onBusy: 'interrupt' }
 * ```
 */
export function turnOptions(
  prefer: string | undefined,
  onBusy?: BusyPolicy,
  askedAt?: number,
): TurnOptions {
  const preferences = (prefer ?? '').split(',').map((item) => item.trim().toLowerCase())
  return {
    respondAsync: preferences.includes('respond-async'),
    ...(onBusy && { onBusy }),
    ...(askedAt !== undefined && { askedAt }),
  }
}

/** The `Preference-Applied` of an answer that did not wait. */
export function turnHeaders(options: TurnOptions): Record<string, string> {
  return options.respondAsync ? { 'Preference-Applied': 'respond-async' } : {}
}
