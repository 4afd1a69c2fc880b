/**
 * Polling a session until its agent's run has ended, for callers that used `respondAsync` or
 * whose run outlasted the server's wait.
 */
import type { Session } from '@uxmate/contract'
import { sleep, withDeadline } from './signals.ts'

/** Options of `waitForSession`. */
export interface WaitOptions {
  /** How long to wait in all; then it rejects with `UxmateTimeoutError`. Default `60000`. */
  timeoutMs?: number
  /** The pause between two polls. Default `1000`. */
  intervalMs?: number
  /** Stops waiting; it then rejects with the signal's `reason`. */
  signal?: AbortSignal
}

/**
 * Calls `getSession` until the session is no longer `Running`, and resolves with it.
 *
 * @example
 * ```ts
 * const session = await pollSession('0f8a…', (signal) => sessions.getSession('0f8a…', { signal }))
 * ```
 */
export async function pollSession(
  sessionId: string,
  getSession: (signal: AbortSignal) => Promise<Session>,
  options: WaitOptions = {},
): Promise<Session> {
  const { timeoutMs = 60_000, intervalMs = 1_000 } = options
  const signal = withDeadline(
    options.signal,
    timeoutMs,
    `Session ${sessionId} was still Running after ${timeoutMs} ms`,
  )
  while (true) {
    const session = await getSession(signal)
    if (session.status !== 'Running') return session
    await sleep(intervalMs, signal)
  }
}
