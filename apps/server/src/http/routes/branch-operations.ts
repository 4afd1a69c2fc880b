/**
 * The operations on a session's tree of messages: read it, regenerate a reply, edit a user
 * message, switch branch, fork. Each acts for `c.get('owner')` only.
 */
import type { BranchTurnResult, SessionService } from '../../domain/session-service.ts'
import type { SessionBounds } from '../../domain/session-store.ts'
import { keyFor } from '../idempotency/idempotency.ts'
import { keptRead, type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toMessage, toSession } from '../presenters.ts'
import { validationError } from '../validation/index.ts'
import { BUSY, busyAnswer, QUEUE_FULL, queuedAnswer } from './busy-answer.ts'
import { sessionFullDetail } from './session-full.ts'
import { turnHeaders, turnOptions } from './turn-options.ts'

export interface BranchOperationsOptions {
  sessions: SessionService
}

/**
 * Why a turn on a message was refused, as the status and words of its answer: a session full
 * to its `bounds` is a `413` naming the limit, as for `update_session`.
 *
 * @example
 * ```ts
 * refusal('too_many_messages', 'assistant', sessions.bounds)
 * // { status: 413, detail: 'This session holds its limit of 10000 messages ...' }
 * ```
 */
export function refusal(
  result: Exclude<BranchTurnResult, object>,
  role: 'assistant' | 'user',
  bounds: SessionBounds | undefined,
) {
  switch (result) {
    case 'not_found':
      return { status: 404, detail: 'Session not found' } as const
    case 'agent_not_found':
      return { status: 404, detail: 'Agent not found' } as const
    case 'message_not_found':
      return { status: 404, detail: 'Message not found' } as const
    case 'busy':
      return { status: 409, detail: BUSY } as const
    case 'queue_full':
      return { status: 409, detail: QUEUE_FULL } as const
    case 'wrong_role':
      return { status: 422, detail: `The message must be an ${role} message` } as const
    case 'too_many_messages':
    case 'too_much_text':
      return { status: 413, detail: sessionFullDetail(result, bounds) } as const
  }
}

/** The handlers of the tree operations of openapi.yaml. */
export function branchOperations({ sessions }: BranchOperationsOptions): OperationHandler[] {
  return [
    keptRead('get_session_tree', async (c) => {
      const { session_id } = c.req.valid('param')
      const { limit = 50, cursor, siblings_of } = c.req.valid('query')
      const page = await sessions.tree({
        owner: c.get('owner'),
        sessionId: session_id,
        limit,
        cursor,
        siblingsOf: siblings_of,
      })
      if (page === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (page === 'message_not_found')
        return c.json(
          validationError(['query', 'siblings_of'], 'No such message in the session', siblings_of),
          422,
        )
      if (page === 'invalid_cursor')
        return c.json(validationError(['query', 'cursor'], 'Invalid cursor', cursor), 422)
      const body = {
        messages: page.messages.map((message) => toMessage(session_id, message)),
        active_leaf_id: page.activeLeafId,
        ...(page.nextCursor && { next_cursor: page.nextCursor }),
      }
      return { body }
    }),

    operation('regenerate_session_message', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const turn = turnOptions(
        c.req.header('Prefer'),
        c.req.valid('query').on_busy,
        c.get('receivedAt'),
      )
      const session = await sessions.regenerate(
        c.get('owner'),
        session_id,
        message_id,
        turn,
        keyFor(c, turn.respondAsync ? 202 : 200, turnHeaders(turn)),
      )
      if (typeof session === 'string') {
        const { status, detail } = refusal(session, 'assistant', sessions.bounds)
        if (status === 422)
          return c.json(validationError(['path', 'message_id'], detail, message_id), 422)
        if (status === 409)
          return c.json(await busyAnswer(sessions, c.get('owner'), session_id, detail), 409)
        return c.json({ detail }, status)
      }
      if ('queued' in session) {
        const { body, headers } = queuedAnswer(session)
        return c.json(body, 202, headers)
      }
      return turn.respondAsync
        ? c.json(toSession(session), 202, turnHeaders(turn))
        : c.json(toSession(session), 200)
    }),

    operation('edit_session_message', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const form = c.req.valid('form')
      const turn = turnOptions(
        c.req.header('Prefer'),
        c.req.valid('query').on_busy,
        c.get('receivedAt'),
      )
      if (turn.onBusy === 'enqueue' && (form.files?.length ?? 0) > 0)
        return c.json(
          validationError(
            ['body', 'files'],
            'A queued edit takes no files: send it with on_busy=reject or interrupt',
            form.files?.length,
          ),
          422,
        )
      const session = await sessions.edit(
        c.get('owner'),
        session_id,
        message_id,
        // The validated form's own list, handed over (see create_session_from_text).
        { text: form.text_prompt, files: form.files ?? [] },
        turn,
        keyFor(c, turn.respondAsync ? 202 : 200, turnHeaders(turn)),
      )
      if (typeof session === 'string') {
        const { status, detail } = refusal(session, 'user', sessions.bounds)
        if (status === 422)
          return c.json(validationError(['path', 'message_id'], detail, message_id), 422)
        if (status === 409)
          return c.json(await busyAnswer(sessions, c.get('owner'), session_id, detail), 409)
        return c.json({ detail }, status)
      }
      if ('queued' in session) {
        const { body, headers } = queuedAnswer(session)
        return c.json(body, 202, headers)
      }
      return turn.respondAsync
        ? c.json(toSession(session), 202, turnHeaders(turn))
        : c.json(toSession(session), 200)
    }),

    operation('switch_session_branch', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const session = await sessions.switchBranch(
        c.get('owner'),
        session_id,
        message_id,
        keyFor(c, 200),
      )
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (session === 'message_not_found') return c.json({ detail: 'Message not found' }, 404)
      if (session === 'busy')
        return c.json(await busyAnswer(sessions, c.get('owner'), session_id), 409)
      return c.json(toSession(session), 200)
    }),

    operation('fork_session', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const session = await sessions.fork(c.get('owner'), session_id, message_id, keyFor(c, 201))
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (session === 'message_not_found') return c.json({ detail: 'Message not found' }, 404)
      return c.json(toSession(session), 201)
    }),
  ]
}
