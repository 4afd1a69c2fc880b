import type { GetSessionMessagesResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

/** A session of `turns` turns with the echo agent: twice as many messages. */
async function longSession(app: App, turns: number): Promise<Session> {
  const created = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: 'turn 0' }),
  })
  const session = (await created.json()) as Session
  for (let turn = 1; turn < turns; turn++) {
    const answer = await app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: `turn ${turn}` }),
    })
    expect(answer.status).toBe(200)
  }
  return (await (await app.request(`/sessions/${session.id}`)).json()) as Session
}

/** Every page of `order`, following `next_cursor`. */
async function walk(app: App, id: string, query: string): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const target = `/sessions/${id}/messages?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const answer = await app.request(target)
    expect(answer.status).toBe(200)
    const page = (await answer.json()) as GetSessionMessagesResponse
    pages.push(page.messages.map((message) => message.id))
    cursor = page.next_cursor
  } while (cursor !== undefined)
  return pages
}

describe('GET /sessions/{session_id}/messages', () => {
  it('walks a 1,000-message session newest first and oldest first, each message once', async () => {
    const { app } = await createTestApp()
    const session = await longSession(app, 500)
    const ids = session.messages.map((message) => message.id)
    expect(ids).toHaveLength(1_000)

    const newestFirst = await walk(app, session.id, 'limit=50')
    expect(newestFirst).toHaveLength(20)
    expect(newestFirst.flat()).toEqual([...ids].reverse())
    const oldestFirst = await walk(app, session.id, 'order=asc&limit=200')
    expect(oldestFirst.map((page) => page.length)).toEqual([200, 200, 200, 200, 200])
    expect(oldestFirst.flat()).toEqual(ids)
  }, 60_000)

  it('skips and repeats nothing while messages are added during a walk', async () => {
    const { app } = await createTestApp()
    const session = await longSession(app, 5)
    const first = (await (
      await app.request(`/sessions/${session.id}/messages?order=asc&limit=4`)
    ).json()) as GetSessionMessagesResponse
    await app.request(`/sessions/${session.id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text_prompt: 'added meanwhile' }),
    })
    const rest = (await (
      await app.request(
        `/sessions/${session.id}/messages?order=asc&limit=50&cursor=${first.next_cursor}`,
      )
    ).json()) as GetSessionMessagesResponse
    const walked = [...first.messages, ...rest.messages].map((message) => message.text)
    expect(walked).toHaveLength(12)
    expect(new Set(walked).size).toBe(12)
    expect(walked.slice(-2)).toEqual(['added meanwhile', 'You said: added meanwhile'])
  })

  it("answers 404 for an unknown session or another owner's, 422 for a cursor it did not make", async () => {
    const { app } = await createTestApp({ apiKeys: { 'key-a': 'alice', 'key-b': 'bob' } })
    const alice = { Authorization: 'Bearer key-a' }
    const created = await app.request('/sessions/text', {
      method: 'POST',
      headers: alice,
      body: sessionForm({ agent_id: 'echo', text_prompt: 'mine' }),
    })
    const { id } = (await created.json()) as Session
    const asBob = await app.request(`/sessions/${id}/messages`, {
      headers: { Authorization: 'Bearer key-b' },
    })
    expect(asBob.status).toBe(404)
    const unknown = await app.request('/sessions/0190c3a0-0000-7000-8000-000000000000/messages', {
      headers: alice,
    })
    expect(unknown.status).toBe(404)

    const page = (await (
      await app.request(`/sessions/${id}/messages?limit=1`, { headers: alice })
    ).json()) as GetSessionMessagesResponse
    expect(page.next_cursor).toBeDefined()
    const otherOrder = await app.request(
      `/sessions/${id}/messages?order=asc&cursor=${page.next_cursor}`,
      { headers: alice },
    )
    expect(otherOrder.status).toBe(422)
    const problem = ((await otherOrder.json()) as { detail: { loc: string[]; msg: string }[] })
      .detail[0]
    expect(problem?.loc).toEqual(['query', 'cursor'])
    expect(problem?.msg).toMatch(/Invalid cursor/)
    const forged = await app.request(`/sessions/${id}/messages?cursor=bm9wZQ`, { headers: alice })
    expect(forged.status).toBe(422)
  })
})
