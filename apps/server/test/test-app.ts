import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseAgentsDocument } from '../src/agents/agents-file.ts'
import { createAgents } from '../src/agents/create-agents.ts'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { type AppDependencies, createSessionsApp } from '../src/boot.ts'
import { defaultConfig, type ServerConfig } from '../src/config/config.ts'
import type { Agent } from '../src/domain/agent.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import type { Clock } from '../src/domain/clock.ts'
import type { Logger } from '../src/domain/logger.ts'
import type { RunEvents } from '../src/domain/run-events.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import type { WebhookSender } from '../src/domain/webhook-outbox.ts'
import type { WebhookTargets } from '../src/domain/webhooks.ts'
import { listen } from '../src/http/node-server.ts'
import type { ApiKeyLookup } from '../src/http/security/api-keys.ts'
import { createJsonLogger } from '../src/logger.ts'
import type { ServerMetrics } from '../src/observability/metrics.ts'
import { type Tracing, tracedStore } from '../src/observability/tracing.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

export interface TestAppOptions {
  config?: Partial<ServerConfig>
  agents?: Agent[]
  clock?: Clock
  /** A store opened and migrated by the caller (a PostgreSQL one) instead of in-memory SQLite. */
  store?: SessionStore
  /** Wraps the store, e.g. to count calls. */
  wrapStore?: (store: SessionStore) => SessionStore
  events?: RunEvents
  /** API keys (`{ key: owner }`); without them the app runs open. */
  apiKeys?: Record<string, string>
  /** Where the app and its store count what happens; none: nothing is counted. */
  metrics?: ServerMetrics
  /** Traces (from `startTracing`): the store's calls, the requests and the runs become spans. */
  tracing?: Tracing
  /** Which endpoints want which webhook events, and what sends them (none: nothing is sent). */
  webhookTargets?: WebhookTargets
  webhookSender?: WebhookSender
  /** Where the app logs; default: nowhere. */
  logger?: Logger
}

/**
 * The app on an in-memory SQLite store, the echo agent and silent logs; no rate limit unless
 * `config` sets one, so that tests may send as fast as they like.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const opened =
    options.store ??
    openSqliteStore(':memory:', options.metrics, { webhookTargets: options.webhookTargets })
  if (!options.store) await opened.migrate()
  const wrapped = options.wrapStore?.(opened) ?? opened
  const store = options.tracing ? tracedStore(wrapped, 'sqlite') : wrapped
  const config: ServerConfig = {
    ...defaultConfig,
    logLevel: 'silent',
    rateLimitPerSecond: 0,
    ...options.config,
  }
  const keys = options.apiKeys
  const apiKeys: ApiKeyLookup | undefined = keys && ((key) => keys[key])
  const deps: AppDependencies = {
    store,
    agents: createAgentRegistry(options.agents ?? [createEchoAgent({ delayMs: 0 })]),
    config,
    logger: options.logger ?? createJsonLogger('silent'),
    clock: options.clock,
    events: options.events,
    apiKeys,
    metrics: options.metrics,
    tracing: options.tracing,
    webhookSender: options.webhookSender,
  }
  const sessionsApp = createSessionsApp(deps)
  return { ...sessionsApp, store }
}

/**
 * A test app (see `createTestApp`) on a real socket of 127.0.0.1 and a free port, with the
 * server's own limits and timeouts: for what `app.request` cannot show (addresses, raw HTTP).
 */
export async function serveTestApp(options: TestAppOptions = {}) {
  const { app, shutdown } = await createTestApp(options)
  const http = listen(app.fetch, {
    host: '127.0.0.1',
    port: 0,
    maxHeaderBytes: 16384,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 60_000,
  }) as Server
  await new Promise((resolve) => http.once('listening', resolve))
  const { port } = http.address() as AddressInfo
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await shutdown(0)
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    },
  }
}

/** A clock the test moves by hand. */
export function createManualClock(start = new Date('2026-11-26T09:00:00.000Z')) {
  let now = start.getTime()
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms
    },
  }
}

/** A multipart form for POST /sessions/text. */
export function sessionForm(
  fields: { agent_id?: string; text_prompt?: string },
  files: Array<{ name: string; type?: string; content: string | Uint8Array<ArrayBuffer> }> = [],
): FormData {
  const form = new FormData()
  if (fields.agent_id !== undefined) form.append('agent_id', fields.agent_id)
  if (fields.text_prompt !== undefined) form.append('text_prompt', fields.text_prompt)
  for (const file of files)
    form.append('files', new Blob([file.content], { type: file.type ?? '' }), file.name)
  return form
}

/** A promise and its settlers, to settle it when a test says (a rejection left unhandled is no error). */
export function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** An agent that answers only when told to, or fails: for runs that must stay `Running`. */
export function createControlledAgent(id = 'slow') {
  let pending = deferred<string>()
  const agent: Agent = {
    profile: {
      id,
      name: 'Slow',
      assistant_id: id,
      assistant_nickname: 'Slow',
      welcome_message: '',
      user_initial_message: '',
      icon: '',
      visibility_requirements: [],
    },
    async *reply(_conversation, signal) {
      const current = pending
      signal.addEventListener('abort', () => current.reject(signal.reason), { once: true })
      try {
        yield await current.promise
      } finally {
        pending = deferred<string>()
      }
    },
  }
  return {
    agent,
    answer: (text: string) => pending.resolve(text),
    fail: (error: Error) => pending.reject(error),
  }
}

/**
 * An `openai` agent from an agents-file entry (merged over `id: llm`, `model: test-model`),
 * on the provider at `baseUrl`, built the way the server builds its agents.
 */
export function createLlmAgent(
  baseUrl: string,
  entry: Record<string, unknown> = {},
  settings: Partial<ServerConfig> = {},
): Agent {
  const { definitions, problems } = parseAgentsDocument(
    {
      agents: [
        {
          id: 'llm',
          name: 'LLM',
          provider: 'openai',
          model: 'test-model',
          base_url: baseUrl,
          ...entry,
        },
      ],
    },
    { OPENAI_API_KEY: 'sk-test' },
  )
  if (problems.length > 0) throw new Error(problems.join('; '))
  const agents = createAgents(
    definitions,
    { ...defaultConfig, agentMaxRetries: 2, ...settings },
    createJsonLogger('silent'),
  )
  return agents[0] as Agent
}

/**
 * An agent whose reply the test writes: `send()` yields a chunk, `finish()` ends the reply,
 * `fail()` throws. `started` resolves when a run asks it for a reply.
 */
export function createScriptedAgent(id = 'scripted') {
  type Step = { chunk: string } | { done: true } | { error: Error }
  const steps: Step[] = []
  let wake: (() => void) | undefined
  let started = deferred<void>()
  const push = (step: Step) => {
    steps.push(step)
    wake?.()
  }
  const agent: Agent = {
    profile: {
      id,
      name: 'Scripted',
      assistant_id: id,
      assistant_nickname: 'Scripted',
      welcome_message: '',
      user_initial_message: '',
      icon: '',
      visibility_requirements: [],
    },
    async *reply(_conversation, signal) {
      started.resolve()
      started = deferred<void>()
      while (true) {
        const step = steps.shift()
        if (!step) {
          await new Promise<void>((resolve, reject) => {
            wake = resolve
            signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          })
          continue
        }
        if ('chunk' in step) yield step.chunk
        else if ('error' in step) throw step.error
        else return
      }
    },
  }
  return {
    agent,
    /** Resolves when the next run starts asking for the reply. */
    started: () => started.promise,
    send: (chunk: string) => push({ chunk }),
    finish: () => push({ done: true }),
    fail: (error: Error) => push({ error }),
  }
}
