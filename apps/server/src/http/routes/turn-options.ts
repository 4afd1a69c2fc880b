import type { TurnOptions } from '../../domain/session-service.ts'

/**
 * RFC 7240: does the request prefer not to wait?
 *
 * @example
 * ```ts
 * turnOptions('respond-async, wait=10') // { respondAsync: true }
 * ```
 */
export function turnOptions(prefer: string | undefined): TurnOptions {
  const preferences = (prefer ?? '').split(',').map((item) => item.trim().toLowerCase())
  return { respondAsync: preferences.includes('respond-async') }
}

/** The `Preference-Applied` of an answer that did not wait. */
export function turnHeaders(options: TurnOptions): Record<string, string> {
  return options.respondAsync ? { 'Preference-Applied': 'respond-async' } : {}
}
