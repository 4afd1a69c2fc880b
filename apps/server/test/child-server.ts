/**
 * The server as its own process, as it runs in production: `node --import tsx src/main.ts`
 * (no build needed), or a built `dist/main.js`. For tests that kill it, starve it or measure
 * its memory, which an in-process app cannot show.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The server package's directory (apps/server). */
export const serverDir = fileURLToPath(new URL('..', import.meta.url))

export interface ChildServer {
  process: ChildProcess
  pid: number
  port: number
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  /** Everything the process printed so far (JSON log lines, errors). */
  output(): string
  /** The process's resident memory, in bytes. */
  rssBytes(): Promise<number>
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface ChildServerOptions {
  /** Environment on top of the test's own: DATA_DIR, limits, timeouts, ... */
  env: Record<string, string>
  /**
   * `source` runs src/main.ts through tsx; `dist` runs the build; `fresh` the build when it is
   * newer than every source file (as in `pnpm test`, whose test task builds first: quicker to
   * start), else the source. Default `source`.
   */
  entry?: 'source' | 'dist' | 'fresh'
  /** How long it may take to listen (tsx compiles on start). Default 60 s. */
  startTimeoutMs?: number
}

/**
 * Starts the server on a free port of 127.0.0.1 and resolves once it listens (its `listening`
 * log line names the port); rejects with its output if it exits or takes too long.
 *
 * @example
 * ```ts
 * const server = await startChildServer({ env: { DATA_DIR: dir } })
 * await fetch(`${server.baseUrl}/health`)
 * await server.stop('SIGKILL')
 * ```
 */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const entry = options.entry === 'fresh' ? freshEntry() : options.entry
  const args = entry === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts']
  const child = spawn(process.execPath, args, {
    cwd: serverDir,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      ECHO_DELAY_MS: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The server did not listen in time:\n${output}`)),
      options.startTimeoutMs ?? 60_000,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      // The log line saying where the server listens: {"…","port":1234,"msg":"listening"}.
      const line = output.split('\n').find((text) => text.includes('"msg":"listening"'))
      const port = line && /"port":(\d+)/.exec(line)?.[1]
      if (port) {
        clearTimeout(timer)
        resolve(Number(port))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    // Every request is a log line: keep the start (how it began) and the latest, not all.
    child.stdout?.on('data', () => {
      if (output.length > 256 * 1024)
        output = `${output.slice(0, 16 * 1024)}\n…\n${output.slice(-128 * 1024)}`
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`The server exited (${code}) before listening:\n${output}`))
    })
  })
  const pid = child.pid as number
  return {
    process: child,
    pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    rssBytes: () => rssOf(pid),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** `dist` when the build is newer than every file under src/, else `source`. */
function freshEntry(): 'source' | 'dist' {
  try {
    const built = statSync(join(serverDir, 'dist/main.js')).mtimeMs
    const sources = readdirSync(join(serverDir, 'src'), { withFileTypes: true, recursive: true })
    const stale = sources.some(
      (entry) => entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built,
    )
    return stale ? 'source' : 'dist'
  } catch {
    return 'source'
  }
}

/** A process's resident set size, from Linux's /proc. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1]
  if (kib === undefined) throw new Error(`No VmRSS for process ${pid}`)
  return Number(kib) * 1024
}
