import type { ChildProcess } from 'node:child_process'

/** Every child this run started and that has not exited yet. */
const running = new Set<ChildProcess>()
const cleanups: (() => void)[] = []

/**
 * Remembers `child` until it exits, so that {@link killAllChildren} can end it whatever way
 * the run stops (failure, SIGINT, normal end).
 */
export function track<T extends ChildProcess>(child: T): T {
  running.add(child)
  child.once('exit', () => running.delete(child))
  return child
}

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Asks `child` to stop with `signal`, and kills it if it has not exited after `graceMs`.
 *
 * @example
 * ```ts
 * await stopChild(server, 'SIGTERM', 10_000)
 * ```
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  const done = exited(child)
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await done
  clearTimeout(timer)
}

/** Kills every tracked child at once, by its own pid; safe to call from an 'exit' handler. */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  running.clear()
}

/** Runs `cleanup` (synchronously) when the process ends, however it ends. */
export function onExit(cleanup: () => void): void {
  cleanups.push(cleanup)
}

/**
 * Ends every child and runs the registered clean-ups on exit, on SIGINT/SIGTERM and on an
 * uncaught error, so that no server or load generator outlives the bench.
 */
export function installCleanup(): void {
  let done = false
  const cleanUp = () => {
    if (done) return
    done = true
    killAllChildren()
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup()
      } catch {
        // Best effort: the process is ending anyway.
      }
    }
  }
  process.once('exit', cleanUp)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every child process\n`)
      cleanUp()
      process.exit(130)
    })
  }
}
