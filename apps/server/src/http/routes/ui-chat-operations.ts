/**
 * The AI SDK's chat protocol (tag `ai-sdk` of openapi.yaml): what `useChat` with the SDK's
 * `DefaultChatTransport` sends and expects, over the service's own sessions and runs.
 */
import type { UiChatMessagesResponse } from '@uxmate/contract'
import type { BodyLimits } from '../../config/config.ts'
import type { Logger } from '../../domain/logger.ts'
import type { RunEvents } from '../../domain/run-events.ts'
import type { SessionService } from '../../domain/session-service.ts'
import type { MessageRecord } from '../../domain/session-store.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toContractBody, validationError } from '../validation/index.ts'
import { refusal } from './branch-operations.ts'
import { busyAnswer } from './busy-answer.ts'
import type { StreamWatch } from './event-stream.ts'
import { sessionFullDetail } from './session-full.ts'
import { userTurn } from './ui-message-input.ts'
import { followAsUiStream, UI_STREAM_HEADERS } from './ui-message-stream.ts'

export interface UiChatOptions {
  sessions: SessionService
  events: RunEvents
  logger: Logger
  limits: BodyLimits
  keepAliveMs: number
  /** Told of each stream that opens (metrics). */
  watchStreams?: StreamWatch
}

/** What the answer's body goes to: Node's response when `@hono/node-server` serves it. */
const outgoingOf = (env: unknown): unknown =>
  typeof env === 'object' && env !== null && 'outgoing' in env ? env.outgoing : undefined

type UiMessage = UiChatMessagesResponse['messages'][number]

const BUSY_CHAT = 'A run is in progress for this chat; wait until it ends, or cancel it'

function toUiMessage(sessionId: string, message: MessageRecord): UiMessage {
  return {
    id: message.id,
    role: message.role,
    parts: [
      { type: 'text', text: message.text },
      ...message.files.map((file) => ({
        type: 'file' as const,
        mediaType: file.contentType,
        filename: file.name,
        url: `/sessions/${sessionId}/files/${file.id}`,
      })),
    ],
  }
}

/** The handlers of `ui_chat`, `ui_chat_resume` and `ui_chat_messages`. */
export function uiChatOperations(options: UiChatOptions): OperationHandler[] {
  const { sessions, events, logger, limits, keepAliveMs, watchStreams } = options
  /** What every stream of a chat is followed with. */
  const streamOptions = (c: { env: unknown }) => ({
    events,
    sessions,
    logger,
    keepAliveMs,
    outgoing: outgoingOf(c.env),
    watchStreams,
  })
  /** The last reply of the chat's active branch: `null` if none, `undefined` if no such chat. */
  const lastReplyOf = async (owner: string, id: string) => {
    const session = await sessions.get(owner, id)
    if (session === 'not_found') return undefined
    return session.messages.findLast((message) => message.role === 'assistant')?.id ?? null
  }

  return [
    operation('ui_chat', async (c) => {
      const request = c.req.valid('json')
      const onBusy = c.req.valid('query').on_busy
      if (onBusy === 'enqueue')
        return c.json(
          validationError(
            ['query', 'on_busy'],
            'A chat stream follows the run it starts: use reject or interrupt',
            onBusy,
          ),
          422,
        )
      if (request.trigger === 'regenerate-message') {
        const owner = c.get('owner')
        const target = request.messageId ?? (await lastReplyOf(owner, request.id))
        if (target === undefined) return c.json({ detail: 'Chat not found' }, 404)
        if (target === null)
          return c.json(
            validationError(['body', 'messageId'], 'the chat has no reply to regenerate', null),
            422,
          )
        const follow = await followAsUiStream({ sessionId: request.id, owner, ...streamOptions(c) })
        const started = await sessions.regenerate(owner, request.id, target, {
          respondAsync: true,
          ...(onBusy && { onBusy, askedAt: c.get('receivedAt') }),
        })
        if (typeof started !== 'string') return c.body(follow.body, 200, UI_STREAM_HEADERS)
        follow.cancel()
        const { status, detail } = refusal(started, 'assistant', sessions.bounds)
        if (status === 422)
          return c.json(validationError(['body', 'messageId'], detail, target), 422)
        if (status === 409)
          return c.json(await busyAnswer(sessions, owner, request.id, BUSY_CHAT), 409)
        return c.json({ detail }, status)
      }
      const turn = userTurn(request, limits)
      if (turn.kind === 'invalid') return c.json(toContractBody([turn.issue]), 422)
      if (turn.kind === 'too_large') return c.json({ detail: turn.detail }, 413)
      const owner = c.get('owner')
      // Followed before the turn starts: the stream misses none of the run's events.
      const follow = await followAsUiStream({ sessionId: request.id, owner, ...streamOptions(c) })
      const started = await sessions.chatTurn({
        owner,
        chatId: request.id,
        agentId: request.agent_id,
        text: turn.text,
        // Handed over: the service empties the list once the files are stored.
        files: turn.files,
        ...(onBusy && { onBusy, askedAt: c.get('receivedAt') }),
      })
      if (typeof started !== 'string') return c.body(follow.body, 200, UI_STREAM_HEADERS)
      follow.cancel()
      switch (started) {
        case 'busy':
        // Not queued here (on_busy=enqueue is refused above): said as busy.
        case 'queue_full':
          return c.json(await busyAnswer(sessions, owner, request.id, BUSY_CHAT), 409)
        case 'agent_required':
          return c.json(
            toContractBody([
              {
                type: 'missing',
                loc: ['body', 'agent_id'],
                msg: 'Field required for a new chat',
                input: null,
              },
            ]),
            422,
          )
        case 'id_taken':
          return c.json(
            { detail: 'This chat id cannot be used; start the chat with another id' },
            409,
          )
        case 'agent_not_found':
          return c.json({ detail: 'Agent not found' }, 404)
        case 'not_found':
          // Deleted between the look-up and the turn.
          return c.json({ detail: 'Chat not found' }, 404)
        case 'too_many_messages':
        case 'too_much_text':
          return c.json({ detail: sessionFullDetail(started, sessions.bounds) }, 413)
      }
    }),

    operation('ui_chat_resume', async (c) => {
      const { id } = c.req.valid('param')
      const owner = c.get('owner')
      // Another owner's chat, or none: nothing runs, as far as this caller can tell.
      if (!(await sessions.header(owner, id))) return c.body(null, 204)
      const follow = await followAsUiStream({ sessionId: id, owner, ...streamOptions(c) })
      if (follow.running) return c.body(follow.body, 200, UI_STREAM_HEADERS)
      follow.cancel()
      return c.body(null, 204)
    }),

    operation('ui_chat_messages', async (c) => {
      const { id } = c.req.valid('param')
      const session = await sessions.get(c.get('owner'), id)
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      return c.json({ messages: session.messages.map((message) => toUiMessage(id, message)) }, 200)
    }),
  ]
}
