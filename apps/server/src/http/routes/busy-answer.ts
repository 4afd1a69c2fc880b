import type { SessionBusyResponse } from '@uxmate/contract'
import type { SessionService } from '../../domain/session-service.ts'

/** The `detail` of a `409` for a session whose run is still going. */
export const BUSY = 'A run is in progress for this session; wait until it leaves Running'

/**
 * The body of a `409` for a busy session: `detail` (FastAPI's shape, which old clients read),
 * the run in progress, if it still is, and where to follow it. The run is read after the
 * refusal: one that ended meanwhile is left out rather than named wrongly.
 *
 * @example
 * ```ts
 * if (session === 'busy') return c.json(await busyAnswer(sessions, c.get('owner'), id), 409)
 * ```
 */
export async function busyAnswer(
  sessions: Pick<SessionService, 'header'>,
  owner: string,
  sessionId: string,
  detail: string = BUSY,
): Promise<SessionBusyResponse> {
  const header = await sessions.header(owner, sessionId)
  return {
    detail,
    ...(header?.run && { run_id: header.run.runId }),
    events_url: `/sessions/${encodeURIComponent(sessionId)}/events`,
  }
}
