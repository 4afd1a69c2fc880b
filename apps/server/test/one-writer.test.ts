/**
 * One writer per SQLite file: while a server has a DATA_DIR open, a second server (or
 * `migrate`) on it refuses to start with exit code 2 and touches nothing, and the first keeps
 * its runs, idempotency keys and kept answers. The lock dies with its process: after a SIGKILL
 * the next server starts at once.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ChildServer, serverDir, startChildServer } from './child-server.ts'

let dataDir: string
let servers: ChildServer[] = []
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-one-writer-'))
})
afterEach(async () => {
  for (const server of servers) await server.stop('SIGKILL')
  servers = []
  await rm(dataDir, { recursive: true, force: true })
})

/**
 * Runs `script` (src/main.ts or src/migrate.ts) on the DATA_DIR until it exits. Not spawnSync:
 * that froze this process for the seconds a child takes to start, and the next request went out
 * on a keep-alive connection the first server had closed meanwhile.
 */
function runToExit(
  script: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script],
      {
        cwd: serverDir,
        env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        encoding: 'utf8',
        // A second server that started anyway would listen for ever: this ends it (status null).
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0
        resolve({ status: typeof code === 'number' ? code : null, stdout, stderr })
      },
    )
  })
}

async function getSession(server: ChildServer, id: string): Promise<Session> {
  const response = await fetch(`${server.baseUrl}/sessions/${id}`)
  expect(response.status).toBe(200)
  return (await response.json()) as Session
}

describe('a second process on the same SQLite file', () => {
  it('is refused while the first runs untouched, and starts once the first was killed', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ')
    // A word every 250 ms: the run is still going while the other processes try to start.
    const first = await startChildServer({
      env: { DATA_DIR: dataDir, ECHO_DELAY_MS: '250', RATE_LIMIT_PER_SECOND: '0' },
    })
    servers.push(first)
    const create = () => {
      const form = new FormData()
      form.append('agent_id', 'echo')
      form.append('text_prompt', words)
      return fetch(`${first.baseUrl}/sessions/text`, {
        method: 'POST',
        body: form,
        headers: { Prefer: 'respond-async', 'Idempotency-Key': 'create-once' },
      })
    }
    const created = await create()
    expect(created.status).toBe(202)
    const session = (await created.json()) as Session
    expect(session.status).toBe('Running')
    // A kept answer, which a write by another process would leave stale.
    expect((await getSession(first, session.id)).status).toBe('Running')

    const second = await runToExit('src/main.ts')
    expect(second.status).toBe(2)
    expect(second.stderr).toContain(
      `the SQLite database ${join(dataDir, 'uxmate.sqlite')} is in use by another uxmate process`,
    )
    expect(second.stdout).not.toContain('"msg":"listening"')
    const migrate = await runToExit('src/migrate.ts')
    expect(migrate.status).toBe(2)
    expect(migrate.stderr).toContain('is in use by another uxmate process')

    // The run was neither flushed nor cut off: it ends with the whole reply.
    let state = await getSession(first, session.id)
    while (state.status === 'Running') {
      await new Promise((resolve) => setTimeout(resolve, 200))
      state = await getSession(first, session.id)
    }
    expect(state.status).toBe('Ready')
    expect(state.error).toBeUndefined()
    expect(state.messages.at(-1)?.text).toBe(`You said: ${words}`)
    // The key still stands for that session.
    const retried = await create()
    expect(((await retried.json()) as Session).id).toBe(session.id)
    expect(first.output()).not.toContain('flushed runs interrupted by a restart')

    expect(await first.stop('SIGKILL')).toBeNull()
    const next = await startChildServer({ env: { DATA_DIR: dataDir } })
    servers.push(next)
    expect((await getSession(next, session.id)).messages.at(-1)?.text).toBe(`You said: ${words}`)
  }, 240_000)
})
