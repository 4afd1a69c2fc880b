import type { Session, SessionBusyResponse } from '@uxmate/contract'
import type { QueuedResult, SessionService } from '../../domain/session-service.ts'
import { toSession } from '../presenters.ts'

/** The `detail` of a `409` for a session whose run is still going. */
export const BUSY = 'A run is in progress for this session; wait until it leaves Running'

/** The `detail` of a `409` for a turn that would wait in a queue already full. */
export const QUEUE_FULL =
  "The session's queue of turns is full (MAX_QUEUED_TURNS); wait until one has started, or cancel one"

/**
 * The `202` of a queued turn: the session, whose `queued_turns` lists it, and its `Location`.
 *
 * @example
 * ```ts
 * if ('queued' in session) { const { body, headers } = queuedAnswer(session); return c.json(body, 202, headers) }
 * ```
 */
export function queuedAnswer({ queued, session }: QueuedResult): {
  body: Session
  headers: Record<string, string>
} {
  const location = `/sessions/${encodeURIComponent(session.id)}/queue/${queued.id}`
  return { body: toSession(session), headers: { Location: location } }
}

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
