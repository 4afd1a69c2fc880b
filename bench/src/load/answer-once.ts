/**
 * The end of a load process: takes the one spec the orchestrator sends over IPC, answers what
 * `run` makes of it, or `{ ok: false, error }` when it throws, and exits once the answer is
 * sent (see `askWorker`).
 *
 * @example
 * ```ts
 * answerOnce<LoadSpec, LoadReply>(async (spec) => ({ ok: true, result: await runLoad(spec) }))
 * ```
 */
export function answerOnce<Spec, Reply extends { ok: boolean }>(
  run: (spec: Spec) => Promise<Reply>,
): void {
  process.once('message', (spec: Spec) => {
    const send = (reply: Reply | { ok: false; error: string }) =>
      process.send?.(reply, () => process.exit(0))
    run(spec).then(send, (error: unknown) =>
      send({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
  })
}
