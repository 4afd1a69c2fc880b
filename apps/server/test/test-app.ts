import type { Agent } from '../src/agents/agent.ts'
import { createAgentRegistry } from '../src/agents/agent-registry.ts'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { defaultConfig, type ServerConfig } from '../src/config.ts'
import type { Clock } from '../src/domain/clock.ts'
import { type AppDependencies, createSessionsApp } from '../src/http/create-app.ts'
import { createJsonLogger } from '../src/logger.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

export interface TestAppOptions {
  config?: Partial<ServerConfig>
  agents?: Agent[]
  clock?: Clock
}

/** The app on an in-memory SQLite store, the echo agent and silent logs. */
export async function createTestApp(options: TestAppOptions = {}) {
  const store = openSqliteStore(':memory:')
  await store.migrate()
  const config: ServerConfig = { ...defaultConfig, logLevel: 'silent', ...options.config }
  const deps: AppDependencies = {
    store,
    agents: createAgentRegistry(options.agents ?? [createEchoAgent({ delayMs: 0 })]),
    config,
    logger: createJsonLogger('silent'),
    clock: options.clock,
  }
  const sessionsApp = createSessionsApp(deps)
  return { ...sessionsApp, store }
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

function deferred<T>() {
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
