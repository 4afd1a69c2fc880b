/**
 * Stoplight Prism as an independent referee: `prism proxy openapi.yaml <upstream> --errors` in
 * front of the real server, as a child process from node_modules/.bin. Prism validates each
 * request and response against the document and reports what does not match in the
 * `sl-violations` response header.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import getPort from 'get-port'
import { specPath } from './spec.ts'

const prismBin = fileURLToPath(new URL('../node_modules/.bin/prism', import.meta.url))

export interface PrismProxy {
  /** `http://127.0.0.1:<port>`, Prism's own address. */
  baseUrl: string
  /** Everything Prism printed, for failure messages. */
  output(): string
  /** Kills the child process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Starts `prism proxy` for `upstream` and resolves once it listens; rejects after `timeoutMs`
 * (with Prism's output) or if it exits first.
 */
export async function startPrismProxy(upstream: string, timeoutMs = 30_000): Promise<PrismProxy> {
  const port = await getPort({ host: '127.0.0.1' })
  const child = spawn(
    prismBin,
    [
      'proxy',
      specPath,
      upstream,
      '--errors',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--cors',
      'false',
      '--verboseLevel',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      // A group of its own, ended as a whole: the pinned runtime's `node` is a shell shim that
      // starts Node as its child, which a signal to the shim alone would leave running.
      detached: true,
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const baseUrl = `http://127.0.0.1:${port}`

  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    const group = -child.pid
    process.kill(group, 'SIGTERM')
    const killer = setTimeout(() => process.kill(group, 'SIGKILL'), 3000)
    await exited
    clearTimeout(killer)
  }

  try {
    await waitUntilListening(child, baseUrl, timeoutMs, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  return { baseUrl, output: () => output, stop }
}

async function waitUntilListening(
  child: ChildProcess,
  baseUrl: string,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`prism exited with ${child.exitCode} before listening:\n${output()}`)
    try {
      // Any answer at all means Prism is up (it proxies /health to the server).
      await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error(`prism did not listen on ${baseUrl} within ${timeoutMs} ms:\n${output()}`)
}
