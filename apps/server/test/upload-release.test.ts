/**
 * An upload's bytes must not outlive their write: a create that waits for its run (up to the
 * run wait, minutes with a slow agent) would otherwise hold every file it received in memory
 * until it answers, and a few such waits exhaust the memory budget.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createTestApp, sessionForm } from './test-app.ts'

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
})
