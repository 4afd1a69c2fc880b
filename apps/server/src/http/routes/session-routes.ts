import { Hono } from 'hono'
import type { AgentRegistry } from '../../domain/agent-registry.ts'
import type { Clock } from '../../domain/clock.ts'
import { decodeCursor, encodeCursor } from '../../domain/page-cursor.ts'
import { dayIn, groupByRecency, isKnownTimeZone } from '../../domain/recency-buckets.ts'
import type { SessionService, TurnOptions } from '../../domain/session-service.ts'
import type { SessionStore } from '../../domain/session-store.ts'
import type { AppEnv } from '../app-env.ts'
import { contentDisposition, safeContentType } from '../download-headers.ts'
import type { Idempotency } from '../idempotency/idempotency.ts'
import { toSession, toSummary } from '../presenters.ts'
import type { ReadCache } from '../read-cache.ts'
import type { Guard } from '../security/guard.ts'
import { typedJson } from '../typed-json.ts'
import { type OpenApiValidator, validationError } from '../validation/index.ts'

export interface SessionRoutesOptions {
  sessions: SessionService
  store: SessionStore
  agents: AgentRegistry
  clock: Clock
  guard: Guard
  validator: OpenApiValidator
  idempotency: Idempotency
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
 * The Sessions operations of openapi.yaml. Each route runs, in order: the guard (API key and
 * rate limit), validation, idempotency where the operation takes a key, then the handler, which
 * acts for `c.get('owner')` only.
 */
export function sessionRoutes(options: SessionRoutesOptions): Hono<AppEnv> {
  const { sessions, store, agents, clock, guard, validator, idempotency, reads } = options

  return new Hono<AppEnv>()
    .post(
      '/sessions/text',
      guard.for('create_session_from_text'),
      validator.for('create_session_from_text'),
      idempotency.for('create_session_from_text', 'created'),
      async (c) => {
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
      },
    )

    .get(
      '/sessions/grouped',
      guard.for('get_grouped_sessions'),
      reads.kept(),
      validator.for('get_grouped_sessions'),
      async (c) => {
        const { tz = 'UTC', agent_id, limit = 100 } = c.req.valid('query')
        if (!isKnownTimeZone(tz))
          return typedJson(
            c,
            'get_grouped_sessions',
            422,
            validationError(['query', 'tz'], `Unknown time zone '${tz}'`, tz),
          )
        const now = clock.now()
        // Buckets are calendar days in `tz`: the same request answers differently tomorrow.
        const today = { zone: tz, day: dayIn(now, tz) }
        return reads.answer(
          c,
          'get_grouped_sessions',
          async () => {
            const recent = await store.recentSessions({
              owner: c.get('owner'),
              agentId: agent_id,
              limit,
            })
            const groups = groupByRecency(recent, now, tz)
            const time_to_sessions = Object.fromEntries(
              [...groups].map(([bucket, list]) => [bucket, list.map((s) => toSummary(s, agents))]),
            )
            return { time_to_sessions }
          },
          today,
        )
      },
    )

    .get(
      '/sessions/:session_id',
      guard.for('get_session'),
      reads.kept(),
      validator.for('get_session'),
      async (c) => {
        const { session_id } = c.req.valid('param')
        return reads.answer(c, 'get_session', async () => {
          const session = await store.getSession(c.get('owner'), session_id)
          return session
            ? toSession(session)
            : typedJson(c, 'get_session', 404, { detail: 'Session not found' })
        })
      },
    )

    .put(
      '/sessions/:session_id',
      guard.for('update_session'),
      validator.for('update_session'),
      idempotency.for('update_session', 'path'),
      async (c) => {
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
      },
    )

    .patch(
      '/sessions/:session_id',
      guard.for('rename_session'),
      validator.for('rename_session'),
      idempotency.for('rename_session', 'path'),
      async (c) => {
        const { session_id } = c.req.valid('param')
        const session = await sessions.rename(c.get('owner'), session_id, c.req.valid('json').name)
        if (session === 'not_found')
          return typedJson(c, 'rename_session', 404, { detail: 'Session not found' })
        return typedJson(c, 'rename_session', 200, toSession(session))
      },
    )

    .delete(
      '/sessions/:session_id',
      guard.for('delete_session'),
      validator.for('delete_session'),
      // The answer is empty: nothing of the session lives on in it.
      idempotency.for('delete_session', 'nothing'),
      async (c) => {
        const { session_id } = c.req.valid('param')
        if ((await sessions.delete(c.get('owner'), session_id)) === 'not_found')
          return typedJson(c, 'delete_session', 404, { detail: 'Session not found' })
        return c.body(null, 204)
      },
    )

    .post(
      '/sessions/:session_id/cancel',
      guard.for('cancel_session'),
      validator.for('cancel_session'),
      idempotency.for('cancel_session', 'path'),
      async (c) => {
        const session = await sessions.cancel(c.get('owner'), c.req.valid('param').session_id)
        if (session === 'not_found')
          return typedJson(c, 'cancel_session', 404, { detail: 'Session not found' })
        return typedJson(c, 'cancel_session', 200, toSession(session))
      },
    )

    .get(
      '/sessions',
      guard.for('get_sessions'),
      reads.kept(),
      validator.for('get_sessions'),
      async (c) => {
        const { agent_id, limit = 50, cursor } = c.req.valid('query')
        const after = cursor === undefined ? undefined : decodeCursor(cursor)
        if (cursor !== undefined && !after)
          return typedJson(
            c,
            'get_sessions',
            422,
            validationError(['query', 'cursor'], 'Invalid cursor', cursor),
          )
        if (!agents.get(agent_id))
          return typedJson(c, 'get_sessions', 404, { detail: 'Agent not found' })
        return reads.answer(c, 'get_sessions', async () => {
          const page = await store.listSessions({
            owner: c.get('owner'),
            agentId: agent_id,
            limit,
            after,
          })
          return {
            sessions: page.sessions.map(toSession),
            ...(page.next && { next_cursor: encodeCursor(page.next) }),
          }
        })
      },
    )

    .get(
      '/sessions/:session_id/files/:file_id',
      guard.for('get_session_file'),
      validator.for('get_session_file'),
      async (c) => {
        const { session_id, file_id } = c.req.valid('param')
        const found = await store.getFile(c.get('owner'), session_id, file_id)
        if (!found) return typedJson(c, 'get_session_file', 404, { detail: 'File not found' })
        return c.body(found.data, 200, {
          'Content-Type': safeContentType(found.file.contentType),
          'Content-Disposition': contentDisposition(found.file.name),
          'X-Content-Type-Options': 'nosniff',
        })
      },
    )
}
