import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import getPort from 'get-port'
import { benchDir } from '../paths.ts'
import { exited, stopChild, track } from './child-processes.ts'

/** A server this run started on 127.0.0.1, ready to take load. */
export interface ServiceProcess {
  name: string
  child: ChildProcess
  pid: number
  baseUrl: string
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>
}

export interface ServiceOptions {
  /** For messages and the log file's name. */
  name: string
  /** The program to run: this run's Node binary unless said otherwise. */
  command?: string
  /** Its arguments: for Node a script, or `--import tsx` and a TypeScript entry. */
  args: string[]
  env: Record<string, string>
  /** Answers 200 once the service can take traffic. */
  readyPath: string
  /** Where the child's stdout and stderr go. */
  logPath: string
}

/**
 * Starts a process (Node unless `command` says otherwise) that listens on a free port of
 * 127.0.0.1 (given to it as `PORT`) and waits, at most 60 s, until `readyPath` answers 200.
 *
 * @example
 * ```ts
 * const server = await startService({ name: 'ours', args: [serverMain], env, readyPath: '/ready', logPath })
 * ```
 */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const port = await getPort({ host: '127.0.0.1' })
  const log = createWriteStream(options.logPath, { flags: 'a' })
  const child = track(
    spawn(options.command ?? process.execPath, options.args, {
      cwd: benchDir,
      env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const baseUrl = `http://127.0.0.1:${port}`
  const service: ServiceProcess = {
    name: options.name,
    child,
    pid: child.pid ?? -1,
    baseUrl,
    stop: () => stopChild(child),
  }

  let gone = false
  void exited(child).then(() => {
    gone = true
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (gone) {
      throw new Error(
        `${options.name} exited during start-up (code ${child.exitCode}); see ${options.logPath}`,
      )
    }
    try {
      const response = await fetch(`${baseUrl}${options.readyPath}`)
      await response.arrayBuffer()
      if (response.status === 200) return service
    } catch {
      // Not listening yet.
    }
    await sleep(100)
  }
  await service.stop()
  throw new Error(`${options.name} was not ready within 60 s; see ${options.logPath}`)
}
