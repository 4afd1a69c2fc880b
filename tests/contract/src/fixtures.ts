/**
 * Booting the real server for the contract suite: in-process (`app.request` / `app.fetch`) on an
 * in-memory store, or on a real socket on a temporary `DATA_DIR` through `bootServer`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import {
  type Agent,
  type BodyLimits,
  bootServer,
  type Clock,
  createAgentRegistry,
  createEchoAgent,
  createJsonLogger,
  createSessionsApp,
  defaultConfig,
  openSqliteStore,
  type ServerConfig,
  type SessionStore,
  type SessionsApp,
} from '@uxmate/server'

/** Limits small enough for a test to cross each of them cheaply. */
export const smallLimits: BodyLimits = {
  maxFileBytes: 2048,
  maxFiles: 3,
  maxRequestBytes: 8192,
  // Above the longest valid prompt (100 000 characters, up to 4 bytes each) a fuzzer sends.
  maxJsonBytes: 512 * 1024,
}

function profile(id: string, name: string): Agent['profile'] {
  return {
    id,
    name,
    assistant_id: id,
    assistant_nickname: name,
    welcome_message: '',
    user_initial_message: '',
    icon: '',
    visibility_requirements: [],
  }
}

/**
 * An agent whose runs last until the test lets them end: `hold()` makes the next runs wait,
 * `release()` lets every waiting run answer. For sessions that must stay `Running` (409).
 */
export function createHeldAgent(id = 'held') {
  let gate: { promise: Promise<void>; open: () => void } | undefined
  const agent: Agent = {
    profile: profile(id, 'Held'),
    async *reply(conversation, signal) {
      const current = gate
      if (current) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason)
          signal.addEventListener('abort', onAbort, { once: true })
          current.promise.then(() => {
            signal.removeEventListener('abort', onAbort)
            resolve()
          })
        })
      }
      yield `Held: ${conversation.at(-1)?.text ?? ''}`
    },
  }
  return {
    agent,
    hold() {
      let open!: () => void
      const promise = new Promise<void>((resolve) => {
        open = resolve
      })
      gate = { promise, open }
    },
    release() {
      gate?.open()
      gate = undefined
    },
  }
}

/** An agent that always fails: its sessions end `Flushed` with an `error`. */
export function createFailingAgent(id = 'failing'): Agent {
  return {
    profile: profile(id, 'Failing'),
    // biome-ignore lint/correctness/useYield: it fails before answering anything.
    async *reply() {
      throw new Error('The agent failed on purpose')
    },
  }
}

/**
 * Holds the answers of requests with an `Idempotency-Key` before they are stored, so that a
 * second request with the same key meets the first one's work done, unanswered. `hold()`
 * resolves `reached` once a request is held; `release()` lets every held one go on.
 */
export function createAnswerGate() {
  let held: { open: Promise<void>; release: () => void; reached: () => void } | undefined
  const gate = {
    /** Holds the next answers; `reached` resolves when the first of them is held. */
    hold(): { reached: Promise<void> } {
      let release!: () => void
      let reached!: () => void
      const open = new Promise<void>((resolve) => {
        release = resolve
      })
      const arrived = new Promise<void>((resolve) => {
        reached = resolve
      })
      held = { open, release, reached }
      return { reached: arrived }
    },
    release() {
      held?.release()
      held = undefined
    },
    /** Wraps a store so that storing an idempotent answer waits at the gate. */
    wrap(store: SessionStore): SessionStore {
      const { idempotency } = store
      return {
        ...store,
        idempotency: {
          ...idempotency,
          async complete(...args) {
            const current = held
            if (current) {
              current.reached()
              await current.open
            }
            return idempotency.complete(...args)
          },
        },
      }
    },
  }
  return gate
}

/** The store's methods `get_session` reads with (JSON text, or rows where a store has none). */
const SESSION_READS = ['getSessionJson', 'getSession'] as const

/**
 * A gate for `get_session`'s reads of the store: while held, each waits at it, keeping its slot of
 * admission (`readsAtOnce`) as a read waiting for PostgreSQL does.
 */
export function createReadGate() {
  let held: { open: Promise<void>; release: () => void; reached: () => void } | undefined
  return {
    /** Holds the next reads of a session; `reached` resolves when the first of them is held. */
    hold(): { reached: Promise<void> } {
      let release!: () => void
      let reached!: () => void
      const open = new Promise<void>((resolve) => {
        release = resolve
      })
      const arrived = new Promise<void>((resolve) => {
        reached = resolve
      })
      held = { open, release, reached }
      return { reached: arrived }
    },
    release() {
      held?.release()
      held = undefined
    },
    /** The store with its reads of a session behind the gate, answering `readsAtOnce` reads at once. */
    wrap(store: SessionStore, readsAtOnce: number | undefined): SessionStore {
      const gated: SessionStore =
        readsAtOnce === undefined ? { ...store } : { ...store, readsAtOnce }
      for (const name of SESSION_READS) {
        const read = store[name] as ((...args: unknown[]) => Promise<unknown>) | undefined
        if (!read) continue
        Object.assign(gated, {
          [name]: async (...args: unknown[]) => {
            const current = held
            if (current) {
              current.reached()
              await current.open
            }
            return read.apply(store, args)
          },
        })
      }
      return gated
    },
  }
}

/**
 * `init` with a FormData body replaced by the same bytes in a stream that may be cancelled. The
 * server cancels a body it refuses part-way (413); Node 24's fetch writes a FormData body from a
 * task that nothing awaits, which then enqueues into the cancelled stream and fails the process
 * with an unhandled rejection (nodejs/undici#5835). Sockets, where the server's bodies come
 * from in production, have no such task.
 */
async function cancelSafe(init: RequestInit | undefined): Promise<RequestInit | undefined> {
  if (!(init?.body instanceof FormData)) return init
  const encoded = new Response(init.body)
  const bytes = new Uint8Array(await encoded.arrayBuffer())
  const headers = new Headers(init.headers)
  headers.set('Content-Type', encoded.headers.get('Content-Type') ?? '')
  let offset = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + 64 * 1024))
      offset += 64 * 1024
    },
  })
  return { ...init, headers, body, duplex: 'half' } as RequestInit
}

export interface InProcessServer extends SessionsApp {
  held: ReturnType<typeof createHeldAgent>
  /** Holds idempotent answers before they are stored (a retry then gets the outcome). */
  answers: ReturnType<typeof createAnswerGate>
  reads: ReturnType<typeof createReadGate>
  /** `app.request` with the path relative to the server. */
  request(path: string, init?: RequestInit): Promise<Response>
}

export interface InProcessOptions {
  /** API keys, `{ key: owner }`; without them the server runs open. */
  apiKeys?: Record<string, string>
  clock?: Clock
  /** Kept reads the store answers at once (PostgreSQL's pool); none: reads are not admitted. */
  readsAtOnce?: number
}

/**
 * The app on an in-memory SQLite store with agents `echo`, `held` and `failing`, silent logs,
 * small body limits and no rate limit (unless `config` sets one).
 */
export async function startInProcess(
  config: Partial<ServerConfig> = {},
  options: InProcessOptions = {},
): Promise<InProcessServer> {
  const opened = openSqliteStore(':memory:')
  await opened.migrate()
  const answers = createAnswerGate()
  const reads = createReadGate()
  const held = createHeldAgent()
  const keys = options.apiKeys
  const sessionsApp = createSessionsApp({
    store: reads.wrap(answers.wrap(opened), options.readsAtOnce),
    agents: createAgentRegistry([
      createEchoAgent({ delayMs: 0 }),
      held.agent,
      createFailingAgent(),
    ]),
    config: {
      ...defaultConfig,
      logLevel: 'silent',
      limits: smallLimits,
      rateLimitPerSecond: 0,
      ...config,
    },
    logger: createJsonLogger('silent'),
    ...(keys && { apiKeys: (key: string) => keys[key] }),
    ...(options.clock && { clock: options.clock }),
  })
  return {
    ...sessionsApp,
    held,
    answers,
    reads,
    request: async (path, init) => sessionsApp.app.request(path, await cancelSafe(init)),
  }
}

export interface SocketServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  port: number
  server: Awaited<ReturnType<typeof bootServer>>
  /** Stops listening, shuts the app down and removes the data directory. */
  close(): Promise<void>
}

/**
 * `bootServer` (the production wiring: SQLite in a fresh temporary `DATA_DIR`, migrations, the
 * echo agent) listening on a free port of 127.0.0.1.
 */
export async function startOnSocket(config: Partial<ServerConfig> = {}): Promise<SocketServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'uxmate-contract-'))
  const server = await bootServer(
    {
      ...defaultConfig,
      dataDir,
      databaseUrl: undefined,
      port: 0,
      logLevel: 'silent',
      echoDelayMs: 0,
      limits: smallLimits,
      shutdownTimeoutMs: 0,
      rateLimitPerSecond: 0,
      ...config,
    },
    createJsonLogger('silent'),
  )
  let listening!: ReturnType<typeof serve>
  const { port } = await new Promise<AddressInfo>((resolve) => {
    listening = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, resolve)
  })
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        listening.close(() => resolve())
        // Keep-alive sockets would hold `close` open; nothing is in flight by now.
        if ('closeAllConnections' in listening) listening.closeAllConnections()
      })
      await server.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** A multipart form for `create_session_from_text`. */
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
