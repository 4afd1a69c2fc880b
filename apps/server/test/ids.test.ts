import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createTestApp, sessionForm } from './test-app.ts'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('ids', () => {
  it('are UUIDv7 that sort in the order things were made, within one millisecond too', async () => {
    const { app } = await createTestApp()
    const files = Array.from({ length: 3 }, (_, i) => ({ name: `${i}.txt`, content: `${i}` }))
    const created = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'hello' }, files),
    })
    const session = (await created.json()) as Session
    const fileIds = session.messages[0]?.files?.map((file) => file.id) ?? []
    const messageIds = session.messages.map((message) => message.id)
    for (const id of [session.id, ...messageIds, ...fileIds]) expect(id).toMatch(UUID_V7)
    // The files' ids are made in one go, in the same millisecond: still in order.
    expect(fileIds).toHaveLength(3)
    expect([...fileIds].sort()).toEqual(fileIds)
    expect([...messageIds].sort()).toEqual(messageIds)
    expect(session.id < (messageIds[0] ?? '')).toBe(true)
  })
})
