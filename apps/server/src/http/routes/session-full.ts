import type { SessionBounds, SessionFull } from '../../domain/session-store.ts'

/**
 * The `413` detail of a turn its session has no room for, naming the limit and its setting.
 *
 * @example
 * ```ts
 * sessionFullDetail('too_many_messages', { maxMessages: 10_000, maxTextBytes: 1 })
 * // 'This session holds its limit of 10000 messages (MAX_SESSION_MESSAGES); ...'
 * ```
 */
export function sessionFullDetail(full: SessionFull, bounds: SessionBounds | undefined): string {
  return full === 'too_many_messages'
    ? `This session holds its limit of ${bounds?.maxMessages} messages (MAX_SESSION_MESSAGES); nothing was stored: start a new session`
    : `This prompt would take the session past its limit of ${bounds?.maxTextBytes} bytes of text (MAX_SESSION_TEXT_BYTES); nothing was stored: start a new session`
}
