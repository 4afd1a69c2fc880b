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
  createAgentRegistry,
  createEchoAgent,
  createJsonLogger,
  createSessionsApp,
  defaultConfig,
  openSqliteStore,
  type ServerConfig,
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

export interface InProcessServer extends SessionsApp {
  held: ReturnType<typeof createHeldAgent>
  /** `app.request` with the path relative to the server. */
  request(path: string, init?: RequestInit): Promise<Response>
}

/**
 * The app on an in-memory SQLite store with agents `echo`, `held` and `failing`, silent logs
 * and small body limits.
 */
export async function startInProcess(config: Partial<ServerConfig> = {}): Promise<InProcessServer> {
  const store = openSqliteStore(':memory:')
  await store.migrate()
  const held = createHeldAgent()
  const sessionsApp = createSessionsApp({
    store,
    agents: createAgentRegistry([
      createEchoAgent({ delayMs: 0 }),
      held.agent,
      createFailingAgent(),
    ]),
    config: { ...defaultConfig, logLevel: 'silent', limits: smallLimits, ...config },
    logger: createJsonLogger('silent'),
  })
  return {
    ...sessionsApp,
    held,
    request: async (path, init) => sessionsApp.app.request(path, init),
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
      limits: smallLimits,
      shutdownTimeoutMs: 0,
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
