/**
 * `client.sessions`: one method per operation of the Sessions tag, named after its operationId,
 * plus pagination and polling helpers. Path parameters come first, the rest as one object whose
 * fields keep their wire names.
 */

import type { SessionEvent } from '@uxmate/contract'
import { type BranchesApi, createBranchesApi } from './branches.ts'
import {
  type CallContext,
  headerParams,
  type IdempotentOptions,
  initFor,
  type RequestOptions,
  type RunOptions,
  runHeaderParams,
  type TurnOptions,
  turnQuery,
  unwrap,
} from './call.ts'
import { type CreateSessionFromTextInput, toBlob, toFormData } from './multipart.ts'
import { paginate } from './pagination.ts'
import { type StreamSessionOptions, streamSessionEvents } from './session-events.ts'
import { createTransferApi, type TransferApi } from './transfer.ts'
import type { PathParams, QueryParams, RequestBody, ResponseData } from './types.ts'
import { pollSession, type WaitOptions } from './wait.ts'

type SessionId = PathParams<'get_session'>['session_id']
type FileId = PathParams<'get_session_file'>['file_id']
type MessageId = PathParams<'rate_message'>['message_id']
type SessionsPage = ResponseData<'get_sessions'>
type ListedSession = SessionsPage['sessions'][number]
type MessagesPage = ResponseData<'get_session_messages'>
type PagedMessage = MessagesPage['messages'][number]
type SearchPage = ResponseData<'search_sessions'>
type SearchHit = SearchPage['hits'][number]

/** The methods of `client.sessions` (with those on a session's branches, `BranchesApi`). */
export interface SessionsApi extends TransferApi, BranchesApi {
  /**
   * `POST /sessions/text` (`create_session_from_text`): opens a session from a prompt and files,
   * sent as `multipart/form-data` with one `files` part per file.
   *
   * Resolves when the run has ended (or the server's wait ran out) with the session, or at once
   * with the session `Running` when `respondAsync` is set.
   *
   * @example
   * ```ts
   * const session = await client.sessions.createSessionFromText({
   *   agent_id: 'echo',
   *   text_prompt: 'Summarise the attached notes.',
   *   files: [new File(['...'], 'notes.txt', { type: 'text/plain' })],
   * })
   * console.log(session.status, session.messages.at(-1)?.text)
   * ```
   */
  createSessionFromText(
    input: CreateSessionFromTextInput,
    options?: RunOptions,
  ): Promise<ResponseData<'create_session_from_text'>>

  /**
   * `GET /sessions/{session_id}` (`get_session`): one session with all its messages.
   *
   * @example
   * ```ts
   * const session = await client.sessions.getSession('0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d')
   * ```
   */
  getSession(session_id: SessionId, options?: RequestOptions): Promise<ResponseData<'get_session'>>

  /**
   * `GET /sessions` (`get_sessions`): one page of an agent's sessions, most recent first. Pass
   * `next_cursor` back as `cursor` for the next page, or use `iterateSessions`. Archived
   * sessions are left out unless `archived: true`; `pinned`, `tag` and `metadata` (`key=value`
   * pairs) narrow the page; `include_messages: false` lists them without their messages.
   *
   * @example
   * ```ts
   * const { sessions, next_cursor } = await client.sessions.getSessions({ agent_id: 'echo', limit: 20 })
   * const light = await client.sessions.getSessions({
   *   agent_id: 'echo',
   *   tag: ['research'],
   *   metadata: ['project=alpha'],
   *   include_messages: false,
   * })
   * ```
   */
  getSessions(
    query: QueryParams<'get_sessions'>,
    options?: RequestOptions,
  ): Promise<ResponseData<'get_sessions'>>

  /**
   * `GET /sessions/grouped` (`get_grouped_sessions`): the most recent sessions in recency buckets
   * (`Today`, `Yesterday`, ..., `YYYY-MM`), for a sidebar; with `pinned_group: true` the pinned
   * ones come first, in `pinned`. Takes the filters of `getSessions`.
   *
   * @example
   * ```ts
   * const { pinned, time_to_sessions } = await client.sessions.getGroupedSessions({
   *   tz: 'Europe/Paris',
   *   pinned_group: true,
   * })
   * for (const [bucket, sessions] of Object.entries(time_to_sessions)) console.log(bucket, sessions.length)
   * ```
   */
  getGroupedSessions(
    query?: QueryParams<'get_grouped_sessions'>,
    options?: RequestOptions,
  ): Promise<ResponseData<'get_grouped_sessions'>>

  /**
   * `GET /sessions/{session_id}/messages` (`get_session_messages`): one page of a session's
   * messages, newest first unless `order: 'asc'`. Pass `next_cursor` back as `cursor` (with the
   * same `order`) for the next page, or use `iterateMessages`.
   *
   * @example
   * ```ts
   * const { messages, next_cursor } = await client.sessions.getSessionMessages(id, { limit: 50 })
   * render(messages.toReversed())
   * ```
   */
  getSessionMessages(
    session_id: SessionId,
    query?: QueryParams<'get_session_messages'>,
    options?: RequestOptions,
  ): Promise<MessagesPage>

  /**
   * `PUT /sessions/{session_id}` (`update_session`): continues a session with a new prompt.
   * A session whose run is still going is refused with `409` (see `waitForSession`).
   *
   * @example
   * ```ts
   * const session = await client.sessions.updateSession(id, { text_prompt: 'Now make it shorter.' })
   * ```
   */
  updateSession(
    session_id: SessionId,
    body: RequestBody<'update_session', 'application/json'>,
    options?: TurnOptions,
  ): Promise<ResponseData<'update_session'>>

  /**
   * `PATCH /sessions/{session_id}` (`rename_session`): sets the session's title, and any of
   * `pinned`, `archived`, `tags` (the new set) and `metadata` (merged; `null` removes a key).
   *
   * @example
   * ```ts
   * const session = await client.sessions.renameSession(id, { name: 'Onboarding interview plan' })
   * await client.sessions.renameSession(id, { pinned: true, metadata: { project: 'alpha' } })
   * ```
   */
  renameSession(
    session_id: SessionId,
    body: RequestBody<'rename_session', 'application/json'>,
    options?: IdempotentOptions,
  ): Promise<ResponseData<'rename_session'>>

  /**
   * `DELETE /sessions/{session_id}` (`delete_session`): deletes the session, its messages and
   * its files for good, cancelling its run first if one is going on. Resolves once it is gone;
   * a session that does not exist (or is another owner's) throws a `404`. Retried safely: a
   * retry of a delete whose answer was lost resolves too (`Idempotency-Key`).
   *
   * @example
   * ```ts
   * await client.sessions.deleteSession(id)
   * ```
   */
  deleteSession(session_id: SessionId, options?: IdempotentOptions): Promise<void>

  /**
   * `DELETE /sessions/{session_id}/queue/{turn_id}` (`cancel_queued_turn`): takes a turn sent
   * with `onBusy: 'enqueue'` out of the session's queue before it starts (its id is in the
   * session's `queued_turns`). A turn that has started, or was never queued, throws a `404`.
   *
   * @example
   * ```ts
   * const session = await client.sessions.updateSession(id, { text_prompt: 'Later' }, { onBusy: 'enqueue' })
   * await client.sessions.cancelQueuedTurn(id, session.queued_turns?.at(-1)?.id ?? '')
   * ```
   */
  cancelQueuedTurn(
    session_id: SessionId,
    turn_id: string,
    options?: IdempotentOptions,
  ): Promise<void>

  /**
   * `POST /sessions/{session_id}/cancel` (`cancel_session`): stops the session's run and
   * resolves with the session once it has ended: `Flushed` with `error.code` `cancelled`, the
   * partial reply kept as the last message. A session without a run comes back as it is.
   *
   * @example
   * ```ts
   * const session = await client.sessions.cancelSession(id)
   * ```
   */
  cancelSession(
    session_id: SessionId,
    options?: IdempotentOptions,
  ): Promise<ResponseData<'cancel_session'>>

  /**
   * `GET /sessions/{session_id}/events` (`get_session_events`): the session's run as it
   * happens, as typed events (`status`, `message.delta`, `message.completed`, `error`), until
   * the run has ended. A dropped connection is resumed with `Last-Event-ID`, so no event is
   * lost or repeated. Breaking out of the loop closes the connection (the run goes on).
   *
   * @example
   * ```ts
   * const started = await client.sessions.createSessionFromText(
   *   { agent_id: 'echo', text_prompt: 'Hello' },
   *   { respondAsync: true },
   * )
   * for await (const event of client.sessions.streamSession(started.id)) {
   *   if (event.event === 'message.delta') render(event.data.text)
   *   if (event.event === 'error') console.warn(event.data.code, event.data.message)
   * }
   * ```
   */
  streamSession(
    session_id: SessionId,
    options?: StreamSessionOptions,
  ): AsyncGenerator<SessionEvent, void, undefined>

  /**
   * `GET /sessions/{session_id}/files/{file_id}` (`get_session_file`): a file's bytes, with the
   * content type it was uploaded with.
   *
   * @example
   * ```ts
   * const blob = await client.sessions.getSessionFile(session.id, file.id)
   * const text = await blob.text()
   * ```
   */
  getSessionFile(
    session_id: SessionId,
    file_id: FileId,
    options?: RequestOptions,
  ): Promise<ResponseData<'get_session_file'>>

  /**
   * Every page of `getSessions`, following `next_cursor`; a page is fetched only when the loop
   * asks for it. `cursor`, if given, is where to start.
   *
   * @example
   * ```ts
   * for await (const page of client.sessions.iterateSessionPages({ agent_id: 'echo', limit: 100 })) {
   *   render(page.sessions)
   * }
   * ```
   */
  iterateSessionPages(
    query: QueryParams<'get_sessions'>,
    options?: RequestOptions,
  ): AsyncGenerator<SessionsPage, void, undefined>

  /**
   * `PUT /sessions/{session_id}/messages/{message_id}/feedback` (`rate_message`): the user's
   * rating of an assistant message, `up` or `down` with an optional comment; rating again
   * replaces it. The message then carries it as `feedback`.
   *
   * @example
   * ```ts
   * await client.sessions.rateMessage(sessionId, replyId, { rating: 'down', comment: 'Off topic' })
   * ```
   */
  rateMessage(
    session_id: SessionId,
    message_id: MessageId,
    body: RequestBody<'rate_message', 'application/json'>,
    options?: IdempotentOptions,
  ): Promise<ResponseData<'rate_message'>>

  /**
   * `DELETE /sessions/{session_id}/messages/{message_id}/feedback` (`delete_message_feedback`):
   * withdraws the rating; a `404` when the message has none.
   *
   * @example
   * ```ts
   * await client.sessions.deleteMessageFeedback(sessionId, replyId)
   * ```
   */
  deleteMessageFeedback(
    session_id: SessionId,
    message_id: MessageId,
    options?: IdempotentOptions,
  ): Promise<void>

  /**
   * Every session of an agent, across all pages of `getSessions`.
   *
   * @example
   * ```ts
   * for await (const session of client.sessions.iterateSessions({ agent_id: 'echo' })) {
   *   if (session.status === 'Flushed') console.warn(session.id, session.error?.message)
   * }
   * ```
   */
  iterateSessions(
    query: QueryParams<'get_sessions'>,
    options?: RequestOptions,
  ): AsyncGenerator<ListedSession, void, undefined>

  /**
   * Every message of a session, page after page of `getSessionMessages` (newest first unless
   * `order: 'asc'`); a page is fetched only when the loop gets to it, so a chat view can show
   * the latest messages and load older ones as the user scrolls back.
   *
   * @example
   * ```ts
   * for await (const message of client.sessions.iterateMessages(id, { limit: 50 })) {
   *   prepend(message)
   *   if (!userScrolledBack()) break
   * }
   * ```
   */
  iterateMessages(
    session_id: SessionId,
    query?: QueryParams<'get_session_messages'>,
    options?: RequestOptions,
  ): AsyncGenerator<PagedMessage, void, undefined>

  /**
   * `GET /sessions/search` (`search_sessions`): one page of the owner's hits for `q`, best
   * first: words, `"phrases"`, `-exclusions`, `prefix*`, the last word typed as a prefix. Each
   * hit's `snippet` marks the matched words with `<mark>`…`</mark>`, the rest HTML-escaped.
   *
   * @example
   * ```ts
   * const { hits } = await client.sessions.searchSessions({ q: '"user interview" -draft' })
   * for (const hit of hits) show(hit.session.name, hit.snippet, hit.message_id)
   * ```
   */
  searchSessions(
    query: QueryParams<'search_sessions'>,
    options?: RequestOptions,
  ): Promise<SearchPage>

  /**
   * Page after page of `searchSessions`, each fetched when the loop gets to it.
   *
   * @example
   * ```ts
   * for await (const page of client.sessions.iterateSearchPages({ q: 'onboarding', limit: 50 })) {
   *   render(page.hits)
   *   if (!userWantsMore()) break
   * }
   * ```
   */
  iterateSearchPages(
    query: QueryParams<'search_sessions'>,
    options?: RequestOptions,
  ): AsyncGenerator<SearchPage, void, undefined>

  /**
   * Every hit of a search, best first, over `iterateSearchPages` (at most the server's 1,000).
   *
   * @example
   * ```ts
   * for await (const hit of client.sessions.iterateSearchHits({ q: 'budget' })) console.log(hit.snippet)
   * ```
   */
  iterateSearchHits(
    query: QueryParams<'search_sessions'>,
    options?: RequestOptions,
  ): AsyncGenerator<SearchHit, void, undefined>

  /**
   * Polls `getSession` until the session leaves `Running` and resolves with it; rejects with
   * `UxmateTimeoutError` after `timeoutMs` (default 60 s).
   *
   * @example
   * ```ts
   * const started = await client.sessions.createSessionFromText(
   *   { agent_id: 'echo', text_prompt: 'Hello' },
   *   { respondAsync: true },
   * )
   * const done = await client.sessions.waitForSession(started.id, { timeoutMs: 120_000 })
   * ```
   */
  waitForSession(session_id: SessionId, options?: WaitOptions): Promise<ResponseData<'get_session'>>
}

/** Builds `client.sessions` on a call context. */
export function createSessionsApi(context: CallContext): SessionsApi {
  const { raw } = context

  const api: SessionsApi = {
    ...createTransferApi(context),
    ...createBranchesApi(context),

    createSessionFromText({ files, ...fields }, options = {}) {
      return unwrap(
        'create_session_from_text',
        raw.POST('/sessions/text', {
          params: { header: runHeaderParams(options) },
          body: { ...fields, files: files?.map(toBlob) },
          // openapi-fetch would send JSON; FormData makes the runtime set the multipart boundary.
          bodySerializer: toFormData,
          ...initFor(context, options, true),
        }),
      )
    },

    getSession(session_id, options = {}) {
      return unwrap(
        'get_session',
        raw.GET('/sessions/{session_id}', {
          params: { path: { session_id }, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    getSessions(query, options = {}) {
      return unwrap(
        'get_sessions',
        raw.GET('/sessions', {
          params: { query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    getSessionMessages(session_id, query = {}, options = {}) {
      return unwrap(
        'get_session_messages',
        raw.GET('/sessions/{session_id}/messages', {
          params: { path: { session_id }, query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    getGroupedSessions(query = {}, options = {}) {
      return unwrap(
        'get_grouped_sessions',
        raw.GET('/sessions/grouped', {
          params: { query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    searchSessions(query, options = {}) {
      return unwrap(
        'search_sessions',
        raw.GET('/sessions/search', {
          params: { query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    updateSession(session_id, body, options = {}) {
      return unwrap(
        'update_session',
        raw.PUT('/sessions/{session_id}', {
          params: {
            path: { session_id },
            query: turnQuery(options),
            header: runHeaderParams(options),
          },
          body,
          ...initFor(context, options, true),
        }),
      )
    },

    renameSession(session_id, body, options = {}) {
      return unwrap(
        'rename_session',
        raw.PATCH('/sessions/{session_id}', {
          params: { path: { session_id }, header: headerParams(options) },
          body,
          // Setting a name twice sets the same name: safe to retry.
          ...initFor(context, options, true),
        }),
      )
    },

    rateMessage(session_id, message_id, body, options = {}) {
      return unwrap(
        'rate_message',
        raw.PUT('/sessions/{session_id}/messages/{message_id}/feedback', {
          params: { path: { session_id, message_id }, header: headerParams(options) },
          body,
          // The same rating twice is one rating: safe to retry.
          ...initFor(context, options, true),
        }),
      )
    },

    async deleteMessageFeedback(session_id, message_id, options = {}) {
      await unwrap(
        'delete_message_feedback',
        raw.DELETE('/sessions/{session_id}/messages/{message_id}/feedback', {
          params: { path: { session_id, message_id }, header: headerParams(options) },
          // The key makes a retry answer 204 again instead of 404 (already withdrawn).
          ...initFor(context, options, true),
        }),
      )
    },

    async deleteSession(session_id, options = {}) {
      await unwrap(
        'delete_session',
        raw.DELETE('/sessions/{session_id}', {
          params: { path: { session_id }, header: headerParams(options) },
          // The key makes a retry answer 204 again instead of 404 (already deleted).
          ...initFor(context, options, true),
        }),
      )
    },

    async cancelQueuedTurn(session_id, turn_id, options = {}) {
      await unwrap(
        'cancel_queued_turn',
        raw.DELETE('/sessions/{session_id}/queue/{turn_id}', {
          params: { path: { session_id, turn_id }, header: headerParams(options) },
          // The key makes a retry answer 204 again instead of 404 (already out of the queue).
          ...initFor(context, options, true),
        }),
      )
    },

    cancelSession(session_id, options = {}) {
      return unwrap(
        'cancel_session',
        raw.POST('/sessions/{session_id}/cancel', {
          params: { path: { session_id }, header: headerParams(options) },
          // Cancelling twice is cancelling once: safe to retry.
          ...initFor(context, options, true),
        }),
      )
    },

    streamSession(session_id, options = {}) {
      return streamSessionEvents(context, session_id, options)
    },

    getSessionFile(session_id, file_id, options = {}) {
      return unwrap(
        'get_session_file',
        raw.GET('/sessions/{session_id}/files/{file_id}', {
          params: { path: { session_id, file_id }, header: headerParams(options) },
          parseAs: 'blob',
          ...initFor(context, options),
        }),
      )
    },

    iterateSessionPages({ cursor, ...query }, options = {}) {
      return paginate((next) => api.getSessions({ ...query, cursor: next }, options), cursor)
    },

    async *iterateSessions(query, options = {}) {
      for await (const page of api.iterateSessionPages(query, options)) yield* page.sessions
    },

    async *iterateMessages(session_id, { cursor, ...query } = {}, options = {}) {
      const pages = paginate(
        (next) => api.getSessionMessages(session_id, { ...query, cursor: next }, options),
        cursor,
      )
      for await (const page of pages) yield* page.messages
    },

    iterateSearchPages({ cursor, ...query }, options = {}) {
      return paginate((next) => api.searchSessions({ ...query, cursor: next }, options), cursor)
    },

    async *iterateSearchHits(query, options = {}) {
      for await (const page of api.iterateSearchPages(query, options)) yield* page.hits
    },

    waitForSession(session_id, options = {}) {
      return pollSession(session_id, (signal) => api.getSession(session_id, { signal }), options)
    },
  }
  return api
}
