import { fork } from 'node:child_process'
import { benchDir, benchEntry } from '../paths.ts'
import { stopChild, track } from '../runtime/child-processes.ts'

/**
 * Runs one spec in a fresh load process (`entry`, a worker under `bench/src` that answers one
 * IPC message with `{ ok: true, ... } | { ok: false, error }`) and returns its answer. Messages
 * with a `note` before the answer (say, that the measured window begins) go to `onNote`. The
 * process is killed once it has answered, or after `budgetMs` without an answer, so no run
 * outlives its time; generating load never shares an event loop with the orchestrator.
 *
 * @example
 * ```ts
 * const reply = await askWorker<LoadSpec, LoadReply>('load/load-worker.ts', spec, 70_000)
 * ```
 */
export async function askWorker<Spec, Reply extends { ok: boolean }>(
  entry: string,
  spec: Spec,
  budgetMs: number,
  onNote?: (note: string) => void,
): Promise<Reply> {
  const child = track(
    fork(benchEntry(entry), [], {
      cwd: benchDir,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  try {
    return await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`load process did not finish within ${budgetMs / 1000} s`)),
        budgetMs,
      )
      const onMessage = (message: unknown) => {
        if (typeof message === 'object' && message !== null && 'note' in message) {
          onNote?.(String(message.note))
          return
        }
        child.off('message', onMessage)
        clearTimeout(timer)
        resolve(message as Reply)
      }
      child.on('message', onMessage)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`load process exited (code ${code}) without a result`))
      })
      child.send(spec as object)
    })
  } finally {
    await stopChild(child, 'SIGKILL', 1_000)
  }
}
