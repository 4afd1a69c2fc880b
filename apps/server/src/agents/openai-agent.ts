/**
 * The `openai` provider: agents on any server that speaks OpenAI's Chat Completions API
 * (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, ...), through the official SDK.
 */
import { createRequire } from 'node:module'
import type { Agent as AgentProfile } from '@uxmate/contract'
import type OpenAI from 'openai'
import type { Agent } from '../domain/agent.ts'
import type { Logger } from '../domain/logger.ts'
import { toChatMessages } from './openai-messages.ts'

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
  /** The longest silence within a streamed reply before the reply is given up. */
  idleTimeoutMs: number
}

const TITLE_INSTRUCTIONS =
  'You name conversations. Reply with a title of at most 60 characters for the conversation ' +
  "that starts with the user's message below, in the language of that message. Reply with the " +
  'title only: no quotes, no final period.'

/** The SDK's errors as one line a user can act on; never the key or the request. */
function providerFailure(error: unknown): Error {
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = openAiSdk()
  if (error instanceof APIConnectionTimeoutError)
    return new Error('the model provider did not answer in time')
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return new Error(`could not reach the model provider${cause}`)
  }
  if (error instanceof APIError) return new Error(`the model provider answered ${error.message}`)
  const detail = error instanceof Error ? error.message : String(error)
  return new Error(`the model provider's reply broke off: ${detail}`)
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
        () => controller.abort(new Error(`the model provider sent nothing for ${ms} ms`)),
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
  const { client, model } = options
  return {
    profile: options.profile,

    async *reply(conversation, signal, context) {
      const messages = await toChatMessages(conversation, {
        instructions: options.instructions,
        vision: options.vision,
        inlineFileBytes: options.inlineFileBytes,
        loadFile: context.loadFile,
      })
      const idle = idleTimer(options.idleTimeoutMs)
      let finished = false
      try {
        const stream = await client.chat.completions.create(
          { model, messages, stream: true },
          { signal: AbortSignal.any([signal, idle.signal]) },
        )
        idle.reset()
        for await (const chunk of stream) {
          idle.reset()
          const choice = chunk.choices[0]
          if (choice?.delta?.content) yield choice.delta.content
          if (choice?.finish_reason) finished = true
        }
      } catch (error) {
        signal.throwIfAborted()
        idle.signal.throwIfAborted()
        throw providerFailure(error)
      } finally {
        idle.stop()
      }
      // The SDK ends a stream quietly when it is aborted: tell an abort from the end.
      signal.throwIfAborted()
      idle.signal.throwIfAborted()
      if (!finished) throw new Error('the model provider ended its reply before finishing it')
    },

    async title({ prompt, files }, signal) {
      const names = files.map((file) => file.name).join(', ')
      const completion = await client.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: TITLE_INSTRUCTIONS },
            {
              role: 'user',
              content: `${prompt.slice(0, 4_000)}${names && `\n\n(Attached: ${names})`}`,
            },
          ],
        },
        // A title is a nicety: one try, and the prompt's title if it fails.
        { signal, maxRetries: 0 },
      )
      return completion.choices[0]?.message?.content ?? undefined
    },
  }
}
