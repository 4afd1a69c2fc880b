/**
 * The methods of `client.sessions` on a session's tree of messages: read it, regenerate a reply,
 * edit a user message, switch branch, fork. Each that changes a session sends an
 * `Idempotency-Key`, so a retry does the work once.
 */
import {
  type CallContext,
  headerParams,
  type IdempotentOptions,
  initFor,
  type RequestOptions,
  runHeaderParams,
  type TurnOptions,
  turnQuery,
  unwrap,
} from './call.ts'
import { type FileInput, toBlob } from './multipart.ts'
import type { PathParams, QueryParams, RequestBody, ResponseData } from './types.ts'

type SessionId = PathParams<'get_session'>['session_id']
type MessageId = PathParams<'regenerate_session_message'>['message_id']
type EditForm = RequestBody<'edit_session_message', 'multipart/form-data'>

/** The input of `editSessionMessage`: the new text, and files to attach to it. */
export type EditSessionMessageInput = Omit<EditForm, 'files'> & {
  /** Files attached to the edited message; each becomes one `files` part. */
  files?: readonly FileInput[]
}

/** The branch methods of `client.sessions`. */
export interface BranchesApi {
  /**
   * `GET /sessions/{session_id}/tree` (`get_session_tree`): one page of every message of the
   * session, on every branch, oldest first, each with its `parent_id`, and the session's
   * `active_leaf_id`; with `siblings_of`, only that message and its siblings.
   *
   * @example
   * ```ts
   * const { messages } = await client.sessions.getSessionTree(id, { siblings_of: reply.id })
   * console.log(`reply ${messages.findIndex((m) => m.id === reply.id) + 1} of ${messages.length}`)
   * ```
   */
  getSessionTree(
    session_id: SessionId,
    query?: QueryParams<'get_session_tree'>,
    options?: RequestOptions,
  ): Promise<ResponseData<'get_session_tree'>>

  /**
   * `POST /sessions/{session_id}/messages/{message_id}/regenerate`
   * (`regenerate_session_message`): a new reply of the agent to the history an assistant
   * message answered, on a branch that becomes the active one; the old reply stays.
   *
   * @example
   * ```ts
   * const session = await client.sessions.regenerateSessionMessage(id, session.messages.at(-1).id)
   * ```
   */
  regenerateSessionMessage(
    session_id: SessionId,
    message_id: MessageId,
    options?: TurnOptions,
  ): Promise<ResponseData<'regenerate_session_message'>>

  /**
   * `POST /sessions/{session_id}/messages/{message_id}/edit` (`edit_session_message`): an
   * edited user message (a sibling of `message_id`, with files if any) and the agent's run on
   * it; the old branch stays.
   *
   * @example
   * ```ts
   * const session = await client.sessions.editSessionMessage(id, question.id, {
   *   text_prompt: 'Summarise it in three bullet points.',
   * })
   * ```
   */
  editSessionMessage(
    session_id: SessionId,
    message_id: MessageId,
    input: EditSessionMessageInput,
    options?: TurnOptions,
  ): Promise<ResponseData<'edit_session_message'>>

  /**
   * `POST /sessions/{session_id}/messages/{message_id}/switch` (`switch_session_branch`): the
   * session shows the branch of `message_id` (down to its latest leaf).
   *
   * @example
   * ```ts
   * const session = await client.sessions.switchSessionBranch(id, olderReply.id)
   * ```
   */
  switchSessionBranch(
    session_id: SessionId,
    message_id: MessageId,
    options?: IdempotentOptions,
  ): Promise<ResponseData<'switch_session_branch'>>

  /**
   * `POST /sessions/{session_id}/messages/{message_id}/fork` (`fork_session`): a new session
   * with the branch down to `message_id`, files included (their bytes are shared, not copied).
   *
   * @example
   * ```ts
   * const fork = await client.sessions.forkSession(id, message.id)
   * await client.sessions.updateSession(fork.id, { text_prompt: 'What if we tried otherwise?' })
   * ```
   */
  forkSession(
    session_id: SessionId,
    message_id: MessageId,
    options?: IdempotentOptions,
  ): Promise<ResponseData<'fork_session'>>
}

/** The edit's form as `FormData`: the text, then one `files` part per file. */
function toEditForm(form: EditForm): FormData {
  const data = new FormData()
  data.append('text_prompt', form.text_prompt)
  for (const file of form.files ?? []) data.append('files', file)
  return data
}

/** Builds the branch methods on a call context. */
export function createBranchesApi(context: CallContext): BranchesApi {
  const { raw } = context
  return {
    getSessionTree(session_id, query = {}, options = {}) {
      return unwrap(
        'get_session_tree',
        raw.GET('/sessions/{session_id}/tree', {
          params: { path: { session_id }, query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    regenerateSessionMessage(session_id, message_id, options = {}) {
      return unwrap(
        'regenerate_session_message',
        raw.POST('/sessions/{session_id}/messages/{message_id}/regenerate', {
          params: {
            path: { session_id, message_id },
            query: turnQuery(options),
            header: runHeaderParams(options),
          },
          ...initFor(context, options, true),
        }),
      )
    },

    editSessionMessage(session_id, message_id, { files, ...fields }, options = {}) {
      return unwrap(
        'edit_session_message',
        raw.POST('/sessions/{session_id}/messages/{message_id}/edit', {
          params: {
            path: { session_id, message_id },
            query: turnQuery(options),
            header: runHeaderParams(options),
          },
          body: { ...fields, files: files?.map(toBlob) },
          bodySerializer: toEditForm,
          ...initFor(context, options, true),
        }),
      )
    },

    switchSessionBranch(session_id, message_id, options = {}) {
      return unwrap(
        'switch_session_branch',
        raw.POST('/sessions/{session_id}/messages/{message_id}/switch', {
          params: { path: { session_id, message_id }, header: headerParams(options) },
          ...initFor(context, options, true),
        }),
      )
    },

    forkSession(session_id, message_id, options = {}) {
      return unwrap(
        'fork_session',
        raw.POST('/sessions/{session_id}/messages/{message_id}/fork', {
          params: { path: { session_id, message_id }, header: headerParams(options) },
          ...initFor(context, options, true),
        }),
      )
    },
  }
}
