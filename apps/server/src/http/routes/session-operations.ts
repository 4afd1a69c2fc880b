import type { AgentRegistry } from '../../domain/agent-registry.ts'
import { sessionFilter } from '../../domain/session-filter.ts'
import {
  type GroupedSessions,
  MAX_METADATA_PAIRS,
  type SessionService,
  type TurnOptions,
} from '../../domain/session-service.ts'
import type { SummaryJson } from '../../domain/session-store.ts'
import { CACHE_CONTROL, conditionalAnswer, conditionalHeads } from '../conditional-answers.ts'
import { contentDisposition, fileEntityTag, safeContentType } from '../download-headers.ts'
import { keyFor } from '../idempotency/idempotency.ts'
import { keptRead, type OperationHandler, operation } from '../operations/operation-handler.ts'
import { agentJsonOf, toFeedbackEntry, toMessage, toSession, toSummary } from '../presenters.ts'
import { validationError } from '../validation/index.ts'
import { busyAnswer, QUEUE_FULL, queuedAnswer } from './busy-answer.ts'
import { sessionFullDetail } from './session-full.ts'
import { turnHeaders, turnOptions } from './turn-options.ts'

export interface SessionOperationsOptions {
  sessions: SessionService
  agents: AgentRegistry
}

/**
 * `get_grouped_sessions`' answer from summaries written as JSON text: the fields and their
 * order of `{ pinned?, time_to_sessions }` as the wire objects have them.
 */
function groupedJson(grouped: GroupedSessions<SummaryJson>): string {
  const list = (summaries: SummaryJson[]) => `[${summaries.map((s) => s.json).join(',')}]`
  const buckets = [...grouped.groups].map(
    ([bucket, summaries]) => `${JSON.stringify(bucket)}:${list(summaries)}`,
  )
  const pinned = grouped.pinned ? `"pinned":${list(grouped.pinned)},` : ''
  return `{${pinned}"time_to_sessions":{${buckets.join(',')}}}`
}

/** The status a turn answers with: `202` when it did not wait for the run. */
const turnStatus = (options: TurnOptions) => (options.respondAsync ? 202 : 200)

/**
 * The handlers of the Sessions operations of openapi.yaml (but the event stream's, in
 * `session-events-operation.ts`); each acts for `c.get('owner')` only. The reads marked
 * `x-uxmate-read-cache` are `keptRead`s: what they read is kept until the owner's sessions change.
 */
export function sessionOperations(options: SessionOperationsOptions): OperationHandler[] {
  const { sessions, agents } = options
  const agentJson = agentJsonOf(agents)

  return [
    operation('create_session_from_text', async (c) => {
      const form = c.req.valid('form')
      const turn = turnOptions(c.req.header('Prefer'))
      const session = await sessions.create(
        {
          owner: c.get('owner'),
          agentId: form.agent_id,
          text: form.text_prompt,
          // The validated form's own list, handed over: the service empties it once the files
          // are stored, so the request keeps no reference to their bytes while it waits.
          files: form.files,
        },
        turn,
        keyFor(c, turnStatus(turn), turnHeaders(turn)),
      )
      if (session === 'agent_not_found') return c.json({ detail: 'Agent not found' }, 404)
      if (session === 'too_much_text')
        return c.json({ detail: sessionFullDetail(session, sessions.bounds) }, 413)
      return turn.respondAsync
        ? c.json(toSession(session), 202, turnHeaders(turn))
        : c.json(toSession(session), 200)
    }),

    keptRead('get_grouped_sessions', async (c) => {
      const { tz = 'UTC', agent_id, limit = 100, pinned_group, ...filters } = c.req.valid('query')
      const query = {
        owner: c.get('owner'),
        agentId: agent_id,
        limit,
        timeZone: tz,
        filter: sessionFilter(filters),
        pinnedGroup: pinned_group,
      }
      const text = await sessions.groupedJson({ ...query, agentJson })
      if (text === 'unknown_time_zone')
        return c.json(validationError(['query', 'tz'], `Unknown time zone '${tz}'`, tz), 422)
      if (text) return { json: groupedJson(text), day: text.day }
      const grouped = await sessions.grouped(query)
      if (grouped === 'unknown_time_zone')
        return c.json(validationError(['query', 'tz'], `Unknown time zone '${tz}'`, tz), 422)
      const time_to_sessions = Object.fromEntries(
        [...grouped.groups].map(([bucket, list]) => [
          bucket,
          list.map((s) => toSummary(s, agents)),
        ]),
      )
      const pinned = grouped.pinned?.map((s) => toSummary(s, agents))
      return { body: { ...(pinned && { pinned }), time_to_sessions }, day: grouped.day }
    }),

    keptRead('get_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const json = await sessions.getJson(c.get('owner'), session_id)
      if (json === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (json !== undefined) return { json }
      const session = await sessions.get(c.get('owner'), session_id)
      return session === 'not_found'
        ? c.json({ detail: 'Session not found' }, 404)
        : { body: toSession(session) }
    }),

    keptRead('get_session_messages', async (c) => {
      const { session_id } = c.req.valid('param')
      const { order = 'desc', limit = 50, cursor } = c.req.valid('query')
      const page = await sessions.messages({
        owner: c.get('owner'),
        sessionId: session_id,
        order,
        limit,
        cursor,
      })
      if (page === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (page === 'invalid_cursor')
        return c.json(validationError(['query', 'cursor'], 'Invalid cursor', cursor), 422)
      const body = {
        messages: page.messages.map((message) => toMessage(session_id, message)),
        ...(page.nextCursor && { next_cursor: page.nextCursor }),
      }
      return { body }
    }),

    operation('update_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const { text_prompt } = c.req.valid('json')
      const turn = turnOptions(
        c.req.header('Prefer'),
        c.req.valid('query').on_busy,
        c.get('receivedAt'),
      )
      const session = await sessions.continue(
        c.get('owner'),
        session_id,
        text_prompt,
        turn,
        [],
        keyFor(c, turnStatus(turn), turnHeaders(turn)),
      )
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (session === 'agent_not_found') return c.json({ detail: 'Agent not found' }, 404)
      if (session === 'busy')
        return c.json(await busyAnswer(sessions, c.get('owner'), session_id), 409)
      if (session === 'queue_full')
        return c.json(await busyAnswer(sessions, c.get('owner'), session_id, QUEUE_FULL), 409)
      if (session === 'too_many_messages' || session === 'too_much_text')
        return c.json({ detail: sessionFullDetail(session, sessions.bounds) }, 413)
      if ('queued' in session) {
        const { body, headers } = queuedAnswer(session)
        return c.json(body, 202, headers)
      }
      return turn.respondAsync
        ? c.json(toSession(session), 202, turnHeaders(turn))
        : c.json(toSession(session), 200)
    }),

    operation('rename_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const body = c.req.valid('json')
      const session = await sessions.update(c.get('owner'), session_id, body, keyFor(c, 200))
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      if (session === 'too_much_metadata')
        return c.json(
          validationError(
            ['body', 'metadata'],
            `A session holds at most ${MAX_METADATA_PAIRS} metadata pairs`,
            body.metadata,
          ),
          422,
        )
      return c.json(toSession(session), 200)
    }),

    operation('rate_message', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const { rating, comment } = c.req.valid('json')
      const rated = await sessions.rate({
        owner: c.get('owner'),
        sessionId: session_id,
        messageId: message_id,
        rating,
        ...(comment !== undefined && { comment }),
        key: keyFor(c, 200),
      })
      if (rated === 'not_found') return c.json({ detail: 'Message not found' }, 404)
      if (rated === 'not_assistant')
        return c.json(
          validationError(
            ['path', 'message_id'],
            'Only an assistant message can be rated',
            message_id,
          ),
          422,
        )
      return c.json(toFeedbackEntry(rated), 200)
    }),

    operation('delete_message_feedback', async (c) => {
      const { session_id, message_id } = c.req.valid('param')
      const key = keyFor(c, 204)
      if ((await sessions.unrate(c.get('owner'), session_id, message_id, key)) === 'not_found')
        return c.json({ detail: 'Message not found' }, 404)
      return c.body(null, 204)
    }),

    operation('delete_session', async (c) => {
      const { session_id } = c.req.valid('param')
      if ((await sessions.delete(c.get('owner'), session_id, keyFor(c, 204))) === 'not_found')
        return c.json({ detail: 'Session not found' }, 404)
      return c.body(null, 204)
    }),

    operation('cancel_queued_turn', async (c) => {
      const { session_id, turn_id } = c.req.valid('param')
      const key = keyFor(c, 204)
      const outcome = await sessions.cancelQueued(c.get('owner'), session_id, turn_id, key)
      if (outcome === 'not_found') return c.json({ detail: 'Queued turn not found' }, 404)
      return c.body(null, 204)
    }),

    operation('cancel_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const session = await sessions.cancel(c.get('owner'), session_id, keyFor(c, 200))
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      return c.json(toSession(session), 200)
    }),

    keptRead('get_sessions', async (c) => {
      const { agent_id, limit = 50, cursor, include_messages, ...filters } = c.req.valid('query')
      const query = {
        owner: c.get('owner'),
        agentId: agent_id,
        limit,
        cursor,
        filter: sessionFilter(filters),
      }
      // Sessions with their messages (the default) as JSON text where the store writes it.
      const text = include_messages === false ? undefined : await sessions.listJson(query)
      if (text === 'invalid_cursor')
        return c.json(validationError(['query', 'cursor'], 'Invalid cursor', cursor), 422)
      if (text === 'agent_not_found') return c.json({ detail: 'Agent not found' }, 404)
      if (text) {
        const next =
          text.nextCursor === undefined ? '' : `,"next_cursor":${JSON.stringify(text.nextCursor)}`
        return { json: `{"sessions":${text.json}${next}}` }
      }
      const page = await sessions.list({ ...query, withMessages: include_messages })
      if (page === 'invalid_cursor')
        return c.json(validationError(['query', 'cursor'], 'Invalid cursor', cursor), 422)
      if (page === 'agent_not_found') return c.json({ detail: 'Agent not found' }, 404)
      const body = {
        sessions: page.sessions.map(toSession),
        ...(page.nextCursor && { next_cursor: page.nextCursor }),
      }
      return { body }
    }),

    operation('get_session_file', async (c) => {
      const { session_id, file_id } = c.req.valid('param')
      const found = await sessions.file(c.get('owner'), session_id, file_id)
      if (found === 'not_found') return c.json({ detail: 'File not found' }, 404)
      return conditionalAnswer(
        c,
        found.data,
        conditionalHeads(c.req.path, {
          'Content-Type': safeContentType(found.file.contentType),
          'Content-Disposition': contentDisposition(found.file.name),
          // `X-Content-Type-Options: nosniff` comes with every answer's security headers.
          ETag: fileEntityTag(found.file),
          'Cache-Control': CACHE_CONTROL,
        }),
      )
    }),
  ]
}
