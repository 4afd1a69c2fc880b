/**
 * The `openai` provider: agents on any server that speaks OpenAI's Chat Completions API
 * (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, ...), through the official SDK.
 */
import { createRequire } from 'node:module'
import type { Agent as AgentProfile } from '@uxmate/contract'
import type OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { Agent, ConversationTurn, ReplyContext } from '../domain/agent.ts'
import { AgentFailure } from '../domain/agent-failure.ts'
import type { Logger } from '../domain/logger.ts'
import type { TokenUsage } from '../domain/session-store.ts'
import type { ContextSettings } from './agents-file.ts'
import { COMPACTION_INSTRUCTIONS, compact, NOTE_PREFIX } from './compaction.ts'
import { type InputPlan, inputBudget, planInput, truncatedPlan } from './context-window.ts'
import { startModelCall } from './model-call-span.ts'
import { type ChatMessagesOptions, toChatMessage } from './openai-messages.ts'
import { countTokens, messageTokens, storedTextTokens } from './token-count.ts'

type OpenAiSdk = typeof import('openai')

let sdk: OpenAiSdk | undefined

/**
 * The SDK, loaded when the first openai agent is made: it costs ~12 MiB of memory, which a
 * server without such an agent (the default agents file) need not pay. Loaded synchronously
 * so that making agents stays synchronous; every client and error class comes from this one
 * copy, so `instanceof` holds between them.
 */
function openAiSdk(): OpenAiSdk {
  sdk ??= createRequire(import.meta.url)('openai') as OpenAiSdk
  return sdk
}

export interface OpenAiClientOptions {
  /** The API's URL, e.g. `http://localhost:11434/v1`; `undefined` is api.openai.com. */
  baseUrl: string | undefined
  apiKey: string
  /** How long one request may take to start answering (each retry gets as long again). */
  timeoutMs: number
  /** Retries of 408, 409, 429, 5xx and failed connections, with exponential back-off. */
  maxRetries: number
  logger: Logger
}

/**
 * An SDK client for one provider. Every setting is passed explicitly so that the SDK does not
 * pick any up from the environment behind the agents file's back.
 *
 * @example
 * ```ts
 * const client = createOpenAiClient({ baseUrl: 'http://localhost:11434/v1', apiKey: 'ollama',
 *   timeoutMs: 60_000, maxRetries: 2, logger })
 * ```
 */
export function createOpenAiClient(options: OpenAiClientOptions): OpenAI {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, ...details: unknown[]) =>
      options.logger[level](message, { component: 'openai', details: details.map(String) })
  return new (openAiSdk().OpenAI)({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    logLevel: 'warn',
    logger: {
      debug: forward('debug'),
      info: forward('info'),
      warn: forward('warn'),
      error: forward('error'),
    },
  })
}

export interface OpenAiAgentOptions {
  profile: AgentProfile
  client: OpenAI
  model: string
  /** The system prompt; none when blank. */
  instructions: string
  /** Whether attached images are sent as images (vision models). */
  vision: boolean
  /** Text files are inlined up to this many bytes. */
  inlineFileBytes: number
  /** Most bytes of images sent in one request (newest first); none: no limit. */
  imageBytes?: number
  /** The longest silence within a streamed reply before the reply is given up. */
  idleTimeoutMs: number
  /** How much of a long conversation goes to the model. */
  context: ContextSettings
  logger: Logger
}

const TITLE_INSTRUCTIONS =
  'You name conversations. Reply with a title of at most 60 characters for the conversation ' +
  "that starts with the user's message below, in the language of that message. Reply with the " +
  'title only: no quotes, no final period.'

/**
 * The SDK's errors as `AgentFailure`s: a kind that picks the fixed message users see, and the
 * provider's details (its status and answer, the address it could not reach) for the log only.
 * Never the key or the request.
 */
function providerFailure(error: unknown): AgentFailure {
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = openAiSdk()
  if (error instanceof AgentFailure) return error
  if (error instanceof APIConnectionTimeoutError)
    return new AgentFailure('timeout', 'the model provider did not answer in time', {
      cause: error,
    })
  if (error instanceof APIConnectionError)
    return new AgentFailure('unreachable', `could not reach the model provider${causes(error)}`, {
      cause: error,
    })
  if (error instanceof APIError)
    return new AgentFailure(apiErrorKind(error), `the model provider answered ${error.message}`, {
      cause: error,
    })
  const detail = error instanceof Error ? error.message : String(error)
  return new AgentFailure('broke_off', `the model provider's reply broke off: ${detail}`, {
    cause: error,
  })
}

/** The messages of an error's causes, `: fetch failed: connect ECONNREFUSED 10.0.0.7:11434`. */
function causes(error: Error): string {
  let text = ''
  for (let cause = error.cause, depth = 0; cause instanceof Error && depth < 4; depth++) {
    text += `: ${cause.message}`
    cause = cause.cause
  }
  return text
}

/** How OpenAI, vLLM, llama.cpp and Ollama say that the input does not fit the model. */
const CONTEXT_TOO_LONG = /context[ _](length|size|window)|maximum context|too many tokens|too long/i

/** The kind of an answer with an error status. */
function apiErrorKind(error: { status?: number; code?: unknown; message: string }) {
  const status = error.status ?? 0
  if (status === 429) return 'rate_limited'
  if (status >= 500 || status === 0) return 'unavailable'
  if (error.code === 'context_length_exceeded' || CONTEXT_TOO_LONG.test(error.message))
    return 'context_too_long'
  return 'refused'
}

/** Aborts when `reset` has not been called for `ms`. */
function idleTimer(ms: number) {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  return {
    signal: controller.signal,
    reset() {
      clearTimeout(timer)
      timer = setTimeout(
        () =>
          controller.abort(
            new AgentFailure('timeout', `the model provider sent nothing for ${ms} ms`),
          ),
        ms,
      )
    },
    stop: () => clearTimeout(timer),
  }
}

/**
 * An agent answered by a Chat Completions model, streamed token by token. Retries and the
 * per-request timeout are the SDK's (see {@link createOpenAiClient}); a stream that falls silent
 * for `idleTimeoutMs`, breaks off or ends without a `finish_reason` is a failure, since the
 * reply would be cut short without anyone knowing.
 *
 * @example
 * ```ts
 * const agent = createOpenAiAgent({ profile, client, model: 'gpt-4o-mini', instructions: '',
 *   vision: true, inlineFileBytes: 65_536, idleTimeoutMs: 60_000 })
 * ```
 */
export function createOpenAiAgent(options: OpenAiAgentOptions): Agent {
  const { client, model, context: settings, logger } = options

  /** One non-streamed completion: what it wrote, with its usage recorded as `kind`. */
  async function complete(
    messages: ChatCompletionMessageParam[],
    kind: 'title' | 'compaction',
    signal: AbortSignal,
    recordCall: ReplyContext['recordCall'],
    maxTokens?: number,
  ): Promise<string | undefined> {
    const call = startModelCall({ model, baseUrl: client.baseURL, kind, maxTokens })
    let usage: TokenUsage | undefined
    try {
      const completion = await client.chat.completions.create(
        { model, messages, ...(maxTokens !== undefined && { max_completion_tokens: maxTokens }) },
        // A title or a summary is not worth a wait: one try, and the fallback if it fails.
        { signal, maxRetries: 0, headers: call.headers },
      )
      const choice = completion.choices[0]
      call.response({
        id: completion.id,
        model: completion.model,
        finishReason: choice?.finish_reason,
      })
      const text = choice?.message?.content ?? undefined
      usage = usageOf(completion.usage, messages, text ?? '')
      recordCall({ kind, usage })
      return text
    } catch (error) {
      call.failed(error)
      throw error
    } finally {
      call.end(usage)
    }
  }

  /**
   * The request's messages: the instructions, a compaction note or nothing, as much history as
   * fits, and the latest message, within the input budget (see `context-window.ts`).
   */
  async function input(
    conversation: ConversationTurn[],
    context: ReplyContext,
    signal: AbortSignal,
  ): Promise<ChatCompletionMessageParam[]> {
    const chat: ChatMessagesOptions = {
      instructions: options.instructions,
      vision: options.vision,
      inlineFileBytes: options.inlineFileBytes,
      ...(options.imageBytes !== undefined && { imageBudget: { left: options.imageBytes } }),
      loadFile: context.loadFile,
    }
    const latest = conversation.at(-1)
    const history = conversation.slice(0, -1)
    const contentsFrom = attachmentsFrom(conversation, settings.attachmentTurns)
    const system: ChatCompletionMessageParam[] =
      options.instructions.trim() === '' ? [] : [{ role: 'system', content: options.instructions }]
    const last = latest ? [await toChatMessage(latest, chat, true)] : []
    const budget = inputBudget(settings)
    const fixed = [...system, ...last].reduce((sum, message) => sum + messageTokens(message), 0)
    const note = settings.strategy === 'compact' ? await context.loadCompaction() : undefined
    const through = note ? history.findIndex((turn) => turn.id === note.throughMessageId) : -1

    // Messages are built and counted newest first, only as far as they could be sent.
    const built: ChatCompletionMessageParam[] = []
    const tokens: number[] = history.map(() => Number.POSITIVE_INFINITY)
    let used = 0
    for (let index = history.length - 1; index > through && used <= budget - fixed; index--) {
      const turn = history[index] as ConversationTurn
      built[index] = await toChatMessage(turn, chat, index >= contentsFrom)
      // A message of text alone is sent as it is stored: its count is kept from turn to turn.
      tokens[index] =
        turn.files.length === 0
          ? storedTextTokens(turn.id, turn.text)
          : messageTokens(built[index] as ChatCompletionMessageParam)
      used += tokens[index] as number
    }
    let plan: InputPlan = planInput({
      history: tokens,
      fixed,
      budget,
      strategy: settings.strategy,
      ...(note && through >= 0 && { note: { through, tokens: note.summaryTokens } }),
    })
    let summary = plan.note === 'reuse' ? note?.summary : undefined
    if (plan.note === 'compact') {
      try {
        const made = await compact({
          previous: through >= 0 ? note?.summary : undefined,
          messages: history.slice(plan.summarizeFrom, plan.from),
          settings,
          summarize: async (prompt, maxTokens) =>
            (await complete(
              [
                { role: 'system', content: COMPACTION_INSTRUCTIONS },
                { role: 'user', content: prompt },
              ],
              'compaction',
              signal,
              context.recordCall,
              maxTokens,
            )) ?? '',
        })
        const coveredId = history[plan.from - 1]?.id
        if (coveredId === undefined) throw new Error('nothing to summarize')
        await context.saveCompaction({
          throughMessageId: coveredId,
          summary: made.summary,
          summaryTokens: made.tokens,
        })
        summary = made.summary
      } catch (error) {
        signal.throwIfAborted()
        // A turn without a summary is better than no turn: the oldest messages are left out.
        logger.warn('could not compact the conversation; leaving out its oldest messages', {
          error: String(error),
        })
        plan = truncatedPlan(tokens, budget - fixed)
        summary = undefined
      }
    }
    const noteMessages: ChatCompletionMessageParam[] =
      summary === undefined ? [] : [{ role: 'system', content: NOTE_PREFIX + summary }]
    const kept: ChatCompletionMessageParam[] = []
    for (let index = plan.from; index < history.length; index++) {
      built[index] ??= await toChatMessage(
        history[index] as ConversationTurn,
        chat,
        index >= contentsFrom,
      )
      kept.push(built[index] as ChatCompletionMessageParam)
    }
    return [...system, ...noteMessages, ...kept, ...last]
  }

  return {
    profile: options.profile,

    async *reply(conversation, signal, context) {
      const messages = await input(conversation, context, signal)
      const idle = idleTimer(options.idleTimeoutMs)
      let finished = false
      let written = ''
      let reported: OpenAI.CompletionUsage | undefined
      let sent = false
      const call = startModelCall({
        model,
        baseUrl: client.baseURL,
        kind: 'reply',
        maxTokens: settings.maxOutputTokens,
      })
      try {
        const stream = await client.chat.completions.create(
          {
            model,
            messages,
            stream: true,
            // The provider's own counts, in a last chunk (OpenAI, vLLM, llama.cpp, Ollama, ...).
            stream_options: { include_usage: true },
            max_completion_tokens: settings.maxOutputTokens,
          },
          { signal: AbortSignal.any([signal, idle.signal]), headers: call.headers },
        )
        sent = true
        idle.reset()
        for await (const chunk of stream) {
          idle.reset()
          if (chunk.usage) reported = chunk.usage
          const choice = chunk.choices[0]
          call.response({ id: chunk.id, model: chunk.model, finishReason: choice?.finish_reason })
          if (choice?.delta?.content) {
            written += choice.delta.content
            yield choice.delta.content
          }
          if (choice?.finish_reason) finished = true
        }
      } catch (error) {
        call.failed(error)
        signal.throwIfAborted()
        idle.signal.throwIfAborted()
        throw providerFailure(error)
      } finally {
        idle.stop()
        // A reply cut short (a cancel, a failure) used tokens too.
        const usage = sent ? usageOf(reported, messages, written) : undefined
        if (usage) context.recordCall({ kind: 'reply', usage })
        call.end(usage)
      }
      // The SDK ends a stream quietly when it is aborted: tell an abort from the end.
      signal.throwIfAborted()
      idle.signal.throwIfAborted()
      if (!finished)
        throw new AgentFailure(
          'broke_off',
          'the model provider ended its reply before finishing it',
        )
    },

    async title({ prompt, files }, signal, recordCall) {
      const names = files.map((file) => file.name).join(', ')
      return complete(
        [
          { role: 'system', content: TITLE_INSTRUCTIONS },
          {
            role: 'user',
            content: `${prompt.slice(0, 4_000)}${names && `\n\n(Attached: ${names})`}`,
          },
        ],
        'title',
        signal,
        recordCall,
      )
    },
  }
}

/**
 * The index of the oldest message whose files are still sent with their contents: that of the
 * user message `turns` before the latest one (the latest user message is turn 0).
 */
function attachmentsFrom(conversation: ConversationTurn[], turns: number): number {
  let seen = 0
  for (let index = conversation.length - 1; index >= 0; index--) {
    if (conversation[index]?.role !== 'user') continue
    if (seen === turns) return index
    seen += 1
  }
  return 0
}

/** The provider's counts when it sent them; else the server's, marked as estimated. */
function usageOf(
  reported: OpenAI.CompletionUsage | undefined | null,
  messages: ChatCompletionMessageParam[],
  written: string,
): TokenUsage {
  if (reported)
    return {
      inputTokens: reported.prompt_tokens,
      outputTokens: reported.completion_tokens,
      cachedTokens: reported.prompt_tokens_details?.cached_tokens ?? 0,
      estimated: false,
    }
  return {
    inputTokens: messages.reduce((sum, message) => sum + messageTokens(message), 0),
    outputTokens: countTokens(written),
    cachedTokens: 0,
    estimated: true,
  }
}
