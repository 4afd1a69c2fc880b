/**
 * `client.aiSdk`: the `ai-sdk` operations, the Vercel AI SDK's chat protocol. A frontend on the
 * SDK uses them through its own `DefaultChatTransport` (see the README); these methods are for
 * code that reads the same streams without the SDK, and for loading a chat into `useChat`.
 */
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import { UxmateApiError } from './errors.ts'
import { readSse } from './sse.ts'
import type { PathParams, RequestBody, ResponseData } from './types.ts'

/** One chunk of the AI SDK's UI message stream (`start`, `text-delta`, `finish`, ...). */
export interface UiMessageChunk {
  type: string
  [field: string]: unknown
}

type ChatId = PathParams<'ui_chat_resume'>['id']

/** The methods of `client.aiSdk`. */
export interface AiSdkApi {
  /**
   * `POST /chat` (`ui_chat`): sends a chat's new user message (the last of `messages`) and
   * yields the run's UI message stream chunks until it ends. Breaking out of the loop closes
   * the stream; the run goes on (stop it with `sessions.cancelSession(id)`).
   *
   * @example
   * ```ts
   * for await (const chunk of client.aiSdk.uiChat({ id, agent_id: 'echo', messages })) {
   *   if (chunk.type === 'text-delta') render(chunk.delta)
   * }
   * ```
   */
  uiChat(
    body: RequestBody<'ui_chat', 'application/json'>,
    options?: RequestOptions,
  ): AsyncGenerator<UiMessageChunk, void, undefined>

  /**
   * `GET /chat/{id}/stream` (`ui_chat_resume`): the run in progress from the start of its
   * reply; yields nothing when none runs.
   *
   * @example
   * ```ts
   * for await (const chunk of client.aiSdk.uiChatResume(id)) render(chunk)
   * ```
   */
  uiChatResume(
    id: ChatId,
    options?: RequestOptions,
  ): AsyncGenerator<UiMessageChunk, void, undefined>

  /**
   * `GET /chat/{id}/messages` (`ui_chat_messages`): the chat's messages as `UIMessage`
   * objects, to start `useChat({ id, messages })` with a stored chat.
   *
   * @example
   * ```ts
   * const { messages } = await client.aiSdk.uiChatMessages(id)
   * ```
   */
  uiChatMessages(id: ChatId, options?: RequestOptions): Promise<ResponseData<'ui_chat_messages'>>
}

/** The chunks of a UI message stream, up to `[DONE]`. */
async function* chunksOf(
  stream: ReadableStream<Uint8Array> | null | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<UiMessageChunk, void, undefined> {
  if (!stream) return
  for await (const message of readSse(stream, undefined, signal)) {
    if (message.data === '[DONE]') return
    yield JSON.parse(message.data) as UiMessageChunk
  }
}

/** Builds `client.aiSdk` on a call context. */
export function createAiSdkApi(context: CallContext): AiSdkApi {
  const { raw } = context
  return {
    async *uiChat(body, options = {}) {
      const { data, error, response } = await raw.POST('/chat', {
        params: { header: headerParams(options) },
        body,
        parseAs: 'stream',
        ...initFor(context, options),
      })
      if (!response.ok) throw new UxmateApiError('ui_chat', response, error)
      yield* chunksOf(data, options.signal)
    },

    async *uiChatResume(id, options = {}) {
      const { data, error, response } = await raw.GET('/chat/{id}/stream', {
        params: { path: { id }, header: headerParams(options) },
        parseAs: 'stream',
        ...initFor(context, options),
      })
      if (!response.ok) throw new UxmateApiError('ui_chat_resume', response, error)
      if (response.status === 204) return
      yield* chunksOf(data, options.signal)
    },

    uiChatMessages(id, options = {}) {
      return unwrap(
        'ui_chat_messages',
        raw.GET('/chat/{id}/messages', {
          params: { path: { id }, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },
  }
}
