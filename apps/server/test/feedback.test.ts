/**
 * Feedback on replies: `rate_message`, `delete_message_feedback` and `get_agent_feedback`, the
 * rating on the messages of every read, and the limits of each.
 */
import type { AgentFeedbackPage, FeedbackEntry, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createManualClock, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function createEcho(app: App, text = 'Hello', headers: Record<string, string> = {}) {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }),
    headers,
  })
  return (await response.json()) as Session
}

const rate = (app: App, session: Session, body: unknown, headers: Record<string, string> = {}) =>
  app.request(`/sessions/${session.id}/messages/${session.messages.at(-1)?.id}/feedback`, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  })

const feedback = async (app: App, query = '') => {
  const response = await app.request(`/agents/echo/feedback${query}`)
  expect(response.status, query).toBe(200)
  return (await response.json()) as AgentFeedbackPage
}

describe('feedback on replies', () => {
  it('rates a reply, shows the rating on its message, and replaces it when rated again', async () => {
    const clock = createManualClock()
    const { app } = await createTestApp({ clock })
    const session = await createEcho(app)
    const reply = session.messages[1]
    clock.advance(1_000)
    const response = await rate(app, session, { rating: 'up', comment: 'Spot on' })
    expect(response.status).toBe(200)
    const rated = (await response.json()) as FeedbackEntry
    expect(rated).toEqual({
      session_id: session.id,
      message_id: reply?.id,
      agent_id: 'echo',
      rating: 'up',
      comment: 'Spot on',
      created_at: clock.now().toISOString(),
      updated_at: clock.now().toISOString(),
    })
    const read = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(read.messages[1]?.feedback).toEqual({
      rating: 'up',
      comment: 'Spot on',
      updated_at: rated.updated_at,
    })
    expect(read.messages[0]).not.toHaveProperty('feedback')
    // Rating does not move the session in the sidebar.
    expect(read.updated_at).toBe(session.updated_at)
    clock.advance(1_000)
    const again = (await (await rate(app, session, { rating: 'down' })).json()) as FeedbackEntry
    expect(again).toMatchObject({ rating: 'down', created_at: rated.created_at })
    expect(again).not.toHaveProperty('comment')
    const page = (await (await app.request(`/sessions/${session.id}/messages?limit=1`)).json()) as {
      messages: Session['messages']
    }
    expect(page.messages[0]?.feedback).toEqual({ rating: 'down', updated_at: again.updated_at })
  })

  it('refuses a user message, a bad rating and a long comment; 404 for what is not there', async () => {
    const { app } = await createTestApp({ apiKeys: { a: 'alice', b: 'bob' } })
    const auth = { Authorization: 'Bearer a' }
    const session = await createEcho(app, 'Hello', auth)
    const problem = async (response: Response) => {
      expect(response.status).toBe(422)
      return ((await response.json()) as { detail: Array<{ loc: unknown[]; type: string }> })
        .detail[0]
    }
    const userMessage = { ...session, messages: session.messages.slice(0, 1) }
    expect(await problem(await rate(app, userMessage, { rating: 'up' }, auth))).toMatchObject({
      loc: ['path', 'message_id'],
      type: 'value_error',
    })
    expect(await problem(await rate(app, session, { rating: 'meh' }, auth))).toMatchObject({
      loc: ['body', 'rating'],
    })
    expect(await problem(await rate(app, session, {}, auth))).toMatchObject({
      loc: ['body', 'rating'],
      type: 'missing',
    })
    expect(
      await problem(await rate(app, session, { rating: 'up', comment: 'x'.repeat(2001) }, auth)),
    ).toMatchObject({ loc: ['body', 'comment'], type: 'string_too_long' })
    expect(
      (await rate(app, session, { rating: 'up', comment: 'x'.repeat(2000) }, auth)).status,
    ).toBe(200)
    // Bob sees neither the session nor its message.
    expect(
      (await rate(app, session, { rating: 'down' }, { Authorization: 'Bearer b' })).status,
    ).toBe(404)
    const elsewhere = { ...session, id: 'no-such-session' }
    expect((await rate(app, elsewhere, { rating: 'up' }, auth)).status).toBe(404)
    const noMessage = { ...session, messages: [{ ...session.messages[1], id: 'nope' }] }
    expect((await rate(app, noMessage as Session, { rating: 'up' }, auth)).status).toBe(404)
  })

  it('withdraws a rating once: 204, then 404', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    await rate(app, session, { rating: 'down' })
    const path = `/sessions/${session.id}/messages/${session.messages[1]?.id}/feedback`
    expect((await app.request(path, { method: 'DELETE' })).status).toBe(204)
    expect((await app.request(path, { method: 'DELETE' })).status).toBe(404)
    const read = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(read.messages[1]).not.toHaveProperty('feedback')
  })

  it('lists an agent ratings newest first, by range and rating, page by page, with totals', async () => {
    const clock = createManualClock(new Date('2026-11-20T12:00:00.000Z'))
    const { app } = await createTestApp({ clock })
    const rated: string[] = []
    for (const rating of ['up', 'down', 'down', 'up', 'down'] as const) {
      const session = await createEcho(app, `About ${rated.length}`)
      await rate(app, session, { rating })
      rated.push(session.id)
      clock.advance(60 * 60_000)
    }
    const all = await feedback(app)
    expect(all.feedback.map((f) => f.session_id)).toEqual([...rated].reverse())
    expect(all.totals).toEqual({ up: 2, down: 3 })
    expect(all.to).toBe(clock.now().toISOString())
    expect(all.from).toBe(new Date(clock.now().getTime() - 30 * 86_400_000).toISOString())
    // Page by page.
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await feedback(
        app,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(page.totals).toEqual({ up: 2, down: 3 })
      seen.push(...page.feedback.map((f) => f.session_id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual([...rated].reverse())
    const downs = await feedback(app, '?rating=down')
    expect(downs.feedback.map((f) => f.rating)).toEqual(['down', 'down', 'down'])
    const window = await feedback(app, '?from=2026-11-20T13:00:00Z&to=2026-11-20T15:00:00Z')
    expect(window.feedback.map((f) => f.session_id)).toEqual([rated[2], rated[1]])
    expect(window.totals).toEqual({ up: 0, down: 2 })
  })

  it('answers 404 for an unknown agent and 422 for a bad range or cursor', async () => {
    const { app } = await createTestApp()
    expect((await app.request('/agents/nobody/feedback')).status).toBe(404)
    const problem = async (query: string) => {
      const response = await app.request(`/agents/echo/feedback${query}`)
      expect(response.status, query).toBe(422)
      return ((await response.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]?.loc
    }
    expect(await problem('?from=2026-11-20T13:00:00Z&to=2026-11-20T13:00:00Z')).toEqual([
      'query',
      'from',
    ])
    expect(await problem('?from=yesterday')).toEqual(['query', 'from'])
    expect(await problem('?cursor=not-ours')).toEqual(['query', 'cursor'])
    expect(await problem('?rating=meh')).toEqual(['query', 'rating'])
    expect(await problem('?limit=201')).toEqual(['query', 'limit'])
    expect((await app.request('/agents/echo/feedback?limit=200')).status).toBe(200)
  })

  it('replays a keyed rating instead of applying it again', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const key = { 'Idempotency-Key': 'rate-once' }
    const first = await rate(app, session, { rating: 'up' }, key)
    await rate(app, session, { rating: 'down' })
    const again = await rate(app, session, { rating: 'up' }, key)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(await first.json())
    expect((await feedback(app)).feedback[0]?.rating).toBe('down')
  })
})
