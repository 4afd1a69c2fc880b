/**
 * `createUxmateClient`: the openapi-fetch client typed by the contract, and the `sessions` and
 * `service` methods on top of it.
 */
import type { paths } from '@uxmate/contract'
import type { Client, Middleware } from 'openapi-fetch'
import * as openapiFetch from 'openapi-fetch'
import { type AgentsApi, createAgentsApi } from './agents.ts'
import { type AiSdkApi, createAiSdkApi } from './ai-sdk.ts'
import type { CallContext, HeadersOption, RequestOptions } from './call.ts'
import { type ConditionalCacheOptions, conditionalCache } from './conditional-cache.ts'
import { type RetryOptions, resolveRetry } from './retry.ts'
import { createServiceApi, type ServiceApi } from './service.ts'
import { createSessionsApi, type SessionsApi } from './sessions.ts'
import { createTransport, type FetchLike } from './transport.ts'
import { createUsageApi, type UsageApi } from './usage.ts'
import { createWebhooksApi, type WebhooksApi } from './webhooks.ts'

/** Options of `createUxmateClient`. */
export interface UxmateClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:8000`; paths are appended to it. */
  baseUrl: string
  /** The `fetch` to send with. Default: the global `fetch`, looked up on each request. */
  fetch?: FetchLike
  /** Headers sent with every request. */
  headers?: HeadersOption
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /**
   * The deadline of each call, retries included, in milliseconds; `false` for none. Default
   * `60000`, which outlasts the server's default 30 s wait for a run.
   */
  timeoutMs?: number | false
  /**
   * Retries of network errors, `429`, `503`, and `409` with `Retry-After` (an earlier attempt
   * still being answered): of `GET`s, and of the requests that carry an `Idempotency-Key`
   * (every call that changes a session). Missing fields take the defaults
   * (`{ retries: 2, minDelayMs: 250, maxDelayMs: 5000 }`); `false` turns it off.
   */
  retry?: Partial<RetryOptions> | false
  /**
   * Conditional reads: each `GET` answer that carries an `ETag` is kept (per method, URL and
   * `Authorization`) and revalidated with `If-None-Match`; a `304` resolves with the kept answer,
   * as a `200`. Default `{ maxBytes: 4 MiB }`, least recently used answers first out; `false`
   * turns it off. A `304` to an `If-None-Match` of your own is passed on (an `UxmateApiError`).
   */
  cache?: ConditionalCacheOptions | false
}

/** What `createUxmateClient` returns. */
export interface UxmateClient {
  /**
   * The openapi-fetch client, typed by the contract's `paths`: any operation, answers as
   * `{ data, error, response }` instead of thrown errors. It shares the client's headers,
   * deadline, retries and middleware.
   */
  raw: Client<paths>
  /** The Sessions operations, and pagination, polling and streaming helpers. */
  sessions: SessionsApi
  /** The Agents operations: the agents users can talk to. */
  agents: AgentsApi
  /** The Service operations: liveness and readiness. */
  service: ServiceApi
  /** The Usage operation: the tokens the owner's agents' models used. */
  usage: UsageApi
  /** The Webhooks operation: the owner's webhook deliveries and every attempt at them. */
  webhooks: WebhooksApi
  /** The `ai-sdk` operations: the Vercel AI SDK's chat protocol. */
  aiSdk: AiSdkApi
  /**
   * Adds openapi-fetch middleware to every request, `raw` and methods alike. Middleware sees
   * each call once: retries happen beneath it.
   */
  use(...middleware: Middleware[]): void
  /** Removes middleware added with `use`. */
  eject(...middleware: Middleware[]): void
}

type CreateClient = typeof openapiFetch.default

/**
 * openapi-fetch's `createClient`, its default export. In our CommonJS build, esbuild applies
 * Node's interop to this ESM package's import of openapi-fetch's CommonJS file: the default
 * import is then that file's whole `exports`, whose `default` is the function.
 */
const createClient: CreateClient =
  typeof openapiFetch.default === 'function'
    ? openapiFetch.default
    : (openapiFetch.default as unknown as { default: CreateClient }).default

/** The default deadline of a call. */
const defaultTimeoutMs = 60_000

/**
 * Creates a client of the UXMate Sessions API.
 *
 * @example
 * ```ts
 * import { createUxmateClient, UxmateApiError } from '@uxmate/client'
 *
 * const client = createUxmateClient({ baseUrl: 'http://127.0.0.1:8000', apiKey: process.env.UXMATE_KEY })
 * const session = await client.sessions.createSessionFromText({ agent_id: 'echo', text_prompt: 'Hi' })
 * for await (const s of client.sessions.iterateSessions({ agent_id: 'echo' })) console.log(s.name)
 * ```
 */
export function createUxmateClient(options: UxmateClientOptions): UxmateClient {
  // Looked up per request, and called as a plain function: browsers throw "Illegal invocation"
  // when `fetch` is called detached from `window`, and tests may swap the global later.
  const send: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request))
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  const retry = resolveRetry(options.retry)

  const transportFor = (timeout: number | false, retryOptions: RetryOptions | false) =>
    createTransport({
      fetch: send,
      timeoutMs: timeout === false ? undefined : timeout,
      retry: retryOptions,
    })

  const headers = new Headers(options.headers)
  if (options.apiKey !== undefined) headers.set('Authorization', `Bearer ${options.apiKey}`)

  const raw = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: transportFor(timeoutMs, retry),
    headers,
  })
  // First, so that middleware added with `use` sees the wire's If-None-Match and 304.
  if (options.cache !== false) raw.use(conditionalCache(options.cache))

  const context: CallContext = {
    raw,
    retry,
    fetchFor(call: RequestOptions) {
      if (call.timeoutMs === undefined && call.retry === undefined) return undefined
      return transportFor(call.timeoutMs ?? timeoutMs, resolveRetry(call.retry, retry))
    },
  }

  return {
    raw,
    sessions: createSessionsApi(context),
    agents: createAgentsApi(context),
    service: createServiceApi(context),
    usage: createUsageApi(context),
    webhooks: createWebhooksApi(context),
    aiSdk: createAiSdkApi(context),
    use: (...middleware) => raw.use(...middleware),
    eject: (...middleware) => raw.eject(...middleware),
  }
}
