import type { GroupedSessionsResponse } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { cancelSafe } from './cancel-safe-body.ts'
import { createTestApp, sessionForm } from './test-app.ts'

const limits = { maxFileBytes: 1000, maxFiles: 2, maxRequestBytes: 4000, maxJsonBytes: 200 }

async function expectNothingStored(app: Awaited<ReturnType<typeof createTestApp>>['app']) {
  const grouped = (await (await app.request('/sessions/grouped')).json()) as GroupedSessionsResponse
  expect(grouped.time_to_sessions).toEqual({})
}

describe('body limits', () => {
  const post = async (app: Awaited<ReturnType<typeof createTestApp>>['app'], form: FormData) =>
    app.request('/sessions/text', await cancelSafe({ method: 'POST', body: form }))
  const fields = { agent_id: 'echo', text_prompt: 'Hello' }

  it('accepts files right at the limits', async () => {
    const { app } = await createTestApp({ config: { limits } })
    const files = [
      { name: 'a.bin', content: new Uint8Array(1000) },
      { name: 'b.bin', content: new Uint8Array(1000) },
    ]
    expect((await post(app, sessionForm(fields, files))).status).toBe(200)
  })

  it('answers 413 for a file over the per-file limit, storing nothing', async () => {
    const { app } = await createTestApp({ config: { limits } })
    const response = await post(
      app,
      sessionForm(fields, [{ name: 'big.bin', content: new Uint8Array(1001) }]),
    )
    expect(response.status).toBe(413)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/big\.bin.*1000 bytes/)
    await expectNothingStored(app)
  })

  it('answers 413 for too many files', async () => {
    const { app } = await createTestApp({ config: { limits } })
    const files = ['a', 'b', 'c'].map((name) => ({ name, content: name }))
    const response = await post(app, sessionForm(fields, files))
    expect(response.status).toBe(413)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/2 files/)
    await expectNothingStored(app)
  })

  it('answers 413 for a request over the total limit', async () => {
    const { app } = await createTestApp({ config: { limits: { ...limits, maxFiles: 5 } } })
    const files = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, content: new Uint8Array(900) }))
    const response = await post(app, sessionForm(fields, files))
    expect(response.status).toBe(413)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/4000 bytes/)
    await expectNothingStored(app)
  })

  it('answers 413 for a JSON body over its limit', async () => {
    const { app } = await createTestApp({ config: { limits } })
    const created = (await (await post(app, sessionForm(fields))).json()) as { id: string }
    const response = await app.request(`/sessions/${created.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: 'x'.repeat(300) }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(response.status).toBe(413)
  })
})
