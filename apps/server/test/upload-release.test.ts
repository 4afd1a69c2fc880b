/**
 * An upload's bytes must not outlive their write: a create that waits for its run (up to the
 * run wait, minutes with a slow agent) would otherwise hold every file it received in memory
 * until it answers, and a few such waits exhaust the memory budget.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/domain/session-store.ts'
import { BODY_BUFFER_BYTES } from '../src/http/validation/body/held-upload.ts'
import { createControlledAgent, createTestApp, sessionForm } from './test-app.ts'

/** V8's full collection, without starting the test run with `--expose-gc`. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Whether everything `refs` point to is collected, after a few full collections. */
async function collected(refs: WeakRef<object>[]): Promise<boolean> {
  const gc = exposedGc()
  for (let attempt = 0; attempt < 10; attempt++) {
    // Promise reactions and pending turns may still reach the bytes for a moment.
    await nextTurn()
    gc()
    if (refs.every((ref) => ref.deref() === undefined)) return true
  }
  return false
}

describe('POST /sessions/text', () => {
  it('takes the files out of the validated form, which lives as long as the request', async () => {
    const { app } = await createTestApp()
    let left: unknown
    // Looks at the request's validated form once the handler has answered.
    const outer = new Hono()
      .use('/sessions/text', async (c, next) => {
        await next()
        left = (c.req.valid as (target: 'form') => { files: unknown[] })('form').files
      })
      .route('/', app)
    const response = await outer.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }, [
        { name: 'a.txt', content: 'first' },
        { name: 'b.txt', content: 'second' },
      ]),
    })
    expect(response.status).toBe(200)
    const session = (await response.json()) as { messages: { files?: { name: string }[] }[] }
    expect(session.messages[0]?.files?.map((file) => file.name)).toEqual(['a.txt', 'b.txt'])
    expect(left).toEqual([])
  })

  it('holds no file bytes once they are stored, while the create still waits for its run', async () => {
    const slow = createControlledAgent()
    const stored: WeakRef<object>[] = []
    const storedSizes: number[] = []
    let written!: () => void
    const wasWritten = new Promise<void>((resolve) => {
      written = resolve
    })
    const { app } = await createTestApp({
      agents: [slow.agent],
      wrapStore: (store): SessionStore => ({
        ...store,
        async createSession(input) {
          for (const file of input.message.files) {
            let size = 0
            for (const chunk of file.chunks) {
              stored.push(new WeakRef(chunk))
              size += chunk.byteLength
            }
            storedSizes.push(size)
          }
          const session = await store.createSession(input)
          written()
          return session
        },
      }),
    })
    const bytes = new Uint8Array(1024 * 1024).fill(7)
    const response = app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'slow', text_prompt: 'Hello' }, [
        { name: 'a.bin', content: bytes },
        { name: 'b.bin', content: bytes },
      ]),
    })
    await wasWritten
    // Each file's bytes, all of them, as views of the request's body buffers: a piece for
    // each buffer a file spans at least.
    expect(storedSizes).toEqual([bytes.byteLength, bytes.byteLength])
    expect(stored.length).toBeGreaterThanOrEqual(
      2 * Math.ceil(bytes.byteLength / BODY_BUFFER_BYTES),
    )
    // The create is still waiting for the run, and so is the request.
    expect(await collected(stored)).toBe(true)
    slow.answer('Done')
    const answer = await response
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ status: 'Ready' })
  })
})
