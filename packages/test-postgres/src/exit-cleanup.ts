const cleanups = new Set<() => void>()

function runCleanups(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup()
    } catch {
      // Best effort: the process is ending anyway.
    }
  }
  cleanups.clear()
}

/**
 * Runs `cleanup` (synchronously) when the process exits, also through `process.exit()` from a
 * signal handler, unless the returned function is called first. One `exit` listener serves
 * every registration, however many servers a process starts.
 *
 * @example
 * ```ts
 * const cancel = cleanUpOnExit(() => rmSync(dir, { recursive: true, force: true }))
 * // … once cleaned up the ordinary way:
 * cancel()
 * ```
 */
export function cleanUpOnExit(cleanup: () => void): () => void {
  if (cleanups.size === 0) process.once('exit', runCleanups)
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
    if (cleanups.size === 0) process.off('exit', runCleanups)
  }
}
