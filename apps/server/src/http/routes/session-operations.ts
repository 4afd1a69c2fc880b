import type { AgentRegistry } from '../../domain/agent-registry.ts'
import type { SessionService, TurnOptions } from '../../domain/session-service.ts'
import { contentDisposition, safeContentType } from '../download-headers.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toMessage, toSession, toSummary } from '../presenters.ts'
import type { ReadCache } from '../read-cache.ts'
import { typedJson } from '../typed-json.ts'
import { validationError } from '../validation/index.ts'

export interface SessionOperationsOptions {
  sessions: SessionService
  agents: AgentRegistry
  /** Where answers to reads are kept until the owner's sessions change. */
  reads: ReadCache
}

/** RFC 7240: does the request prefer not to wait? */
function turnOptions(prefer: string | undefined): TurnOptions {
  const preferences = (prefer ?? '').split(',').map((item) => item.trim().toLowerCase())
  return { respondAsync: preferences.includes('respond-async') }
}

function turnHeaders(options: TurnOptions): Record<string, string> {
  return options.respondAsync ? { 'Preference-Applied': 'respond-async' } : {}
}

/**
 * The handlers of the Sessions operations of openapi.yaml (but the event stream's, in
 * `session-events-route.ts`); each acts for `c.get('owner')` only.
 */
export function sessionOperations(options: SessionOperationsOptions): OperationHandler[] {
  const { sessions, agents, reads } = options

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
      )
      if (session === 'agent_not_found')
        return typedJson(c, 'create_session_from_text', 404, { detail: 'Agent not found' })
      return turn.respondAsync
        ? typedJson(c, 'create_session_from_text', 202, toSession(session), turnHeaders(turn))
        : typedJson(c, 'create_session_from_text', 200, toSession(session))
    }),

    operation('get_grouped_sessions', (c) =>
      reads.answer(c, 'get_grouped_sessions', async () => {
        const { tz = 'UTC', agent_id, limit = 100 } = c.req.valid('query')
        const grouped = await sessions.grouped({
          owner: c.get('owner'),
          agentId: agent_id,
          limit,
          timeZone: tz,
        })
        if (grouped === 'unknown_time_zone')
          return typedJson(
            c,
            'get_grouped_sessions',
            422,
            validationError(['query', 'tz'], `Unknown time zone '${tz}'`, tz),
          )
        const time_to_sessions = Object.fromEntries(
          [...grouped.groups].map(([bucket, list]) => [
            bucket,
            list.map((s) => toSummary(s, agents)),
          ]),
        )
        return { body: { time_to_sessions }, day: grouped.day }
      }),
    ),

    operation('get_session', (c) =>
      reads.answer(c, 'get_session', async () => {
        const session = await sessions.get(c.get('owner'), c.req.valid('param').session_id)
        return session === 'not_found'
          ? typedJson(c, 'get_session', 404, { detail: 'Session not found' })
          : { body: toSession(session) }
      }),
    ),

    operation('get_session_messages', (c) =>
      reads.answer(c, 'get_session_messages', async () => {
        const { session_id } = c.req.valid('param')
        const { order = 'desc', limit = 50, cursor } = c.req.valid('query')
        const page = await sessions.messages({
          owner: c.get('owner'),
          sessionId: session_id,
          order,
          limit,
          cursor,
        })
        if (page === 'not_found')
          return typedJson(c, 'get_session_messages', 404, { detail: 'Session not found' })
        if (page === 'invalid_cursor')
          return typedJson(
            c,
            'get_session_messages',
            422,
            validationError(['query', 'cursor'], 'Invalid cursor', cursor),
          )
        const body = {
          messages: page.messages.map((message) => toMessage(session_id, message)),
          ...(page.nextCursor && { next_cursor: page.nextCursor }),
        }
        return { body }
      }),
    ),

    operation('update_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const { text_prompt } = c.req.valid('json')
      const turn = turnOptions(c.req.header('Prefer'))
      const session = await sessions.continue(c.get('owner'), session_id, text_prompt, turn)
      if (session === 'not_found')
        return typedJson(c, 'update_session', 404, { detail: 'Session not found' })
      if (session === 'agent_not_found')
        return typedJson(c, 'update_session', 404, { detail: 'Agent not found' })
      if (session === 'busy')
        return typedJson(c, 'update_session', 409, {
          detail: 'A run is in progress for this session; wait until it leaves Running',
        })
      return turn.respondAsync
        ? typedJson(c, 'update_session', 202, toSession(session), turnHeaders(turn))
        : typedJson(c, 'update_session', 200, toSession(session))
    }),

    operation('rename_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const session = await sessions.rename(c.get('owner'), session_id, c.req.valid('json').name)
      if (session === 'not_found')
        return typedJson(c, 'rename_session', 404, { detail: 'Session not found' })
      return typedJson(c, 'rename_session', 200, toSession(session))
    }),

    operation('delete_session', async (c) => {
      const { session_id } = c.req.valid('param')
      if ((await sessions.delete(c.get('owner'), session_id)) === 'not_found')
        return typedJson(c, 'delete_session', 404, { detail: 'Session not found' })
      return c.body(null, 204)
    }),

    operation('cancel_session', async (c) => {
      const session = await sessions.cancel(c.get('owner'), c.req.valid('param').session_id)
      if (session === 'not_found')
        return typedJson(c, 'cancel_session', 404, { detail: 'Session not found' })
      return typedJson(c, 'cancel_session', 200, toSession(session))
    }),

    operation('get_sessions', (c) =>
      reads.answer(c, 'get_sessions', async () => {
        const { agent_id, limit = 50, cursor } = c.req.valid('query')
        const page = await sessions.list({
          owner: c.get('owner'),
          agentId: agent_id,
          limit,
          cursor,
        })
        if (page === 'invalid_cursor')
          return typedJson(
            c,
            'get_sessions',
            422,
            validationError(['query', 'cursor'], 'Invalid cursor', cursor),
          )
        if (page === 'agent_not_found')
          return typedJson(c, 'get_sessions', 404, { detail: 'Agent not found' })
        const body = {
          sessions: page.sessions.map(toSession),
          ...(page.nextCursor && { next_cursor: page.nextCursor }),
        }
        return { body }
      }),
    ),

    operation('get_session_file', async (c) => {
      const { session_id, file_id } = c.req.valid('param')
      const found = await sessions.file(c.get('owner'), session_id, file_id)
      if (found === 'not_found')
        return typedJson(c, 'get_session_file', 404, { detail: 'File not found' })
      return c.body(found.data, 200, {
        'Content-Type': safeContentType(found.file.contentType),
        'Content-Disposition': contentDisposition(found.file.name),
        'X-Content-Type-Options': 'nosniff',
      })
    }),
  ]
}
