/**
 * `PATCH /sessions/{session_id}` beyond renaming: pin, archive, tags and metadata, their limits
 * at and past them, and what sessions and summaries show of them.
 */
import type { GroupedSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

const patch = (app: App, id: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(`/sessions/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  })

async function createEcho(app: App, text = 'Hello') {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }),
  })
  return (await response.json()) as Session
}

type Detail = Array<{ type: string; loc: unknown[]; msg: string }>

describe('organising a session', () => {
  it('pins, archives, tags and labels it, shown on the session and its summary', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    expect(session).toMatchObject({ pinned: false, archived: false, tags: [], metadata: {} })
    const response = await patch(app, session.id, {
      pinned: true,
      tags: ['research', 'onboarding'],
      metadata: { project: 'alpha', 'crm:id': '42' },
    })
    expect(response.status).toBe(200)
    const organised = (await response.json()) as Session
    expect(organised).toEqual({
      ...session,
      pinned: true,
      archived: false,
      tags: ['research', 'onboarding'],
      metadata: { project: 'alpha', 'crm:id': '42' },
    })
    // The kept answer of the read before the change is not served again.
    expect(await (await app.request(`/sessions/${session.id}`)).json()).toEqual(organised)
    const grouped = (await (
      await app.request('/sessions/grouped')
    ).json()) as GroupedSessionsResponse
    expect(grouped.time_to_sessions.Today?.[0]).toMatchObject({
      id: session.id,
      pinned: true,
      archived: false,
      tags: ['research', 'onboarding'],
      metadata: { project: 'alpha', 'crm:id': '42' },
    })
  })

  it('merges metadata (null removes a key), replaces tags and unarchives', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    await patch(app, session.id, { archived: true, tags: ['a'], metadata: { x: '1', y: '2' } })
    const response = await patch(app, session.id, {
      archived: false,
      tags: ['b', 'c'],
      metadata: { x: null, z: '' },
    })
    expect(await response.json()).toMatchObject({
      archived: false,
      tags: ['b', 'c'],
      metadata: { y: '2', z: '' },
      name: 'Hello',
      updated_at: session.updated_at,
    })
  })

  it('holds 16 tags of 64 characters and 16 pairs of 64/512 characters, not one more', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const tags = Array.from({ length: 16 }, (_, i) => `${i}`.padEnd(64, 't'))
    const metadata = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(512)]),
    )
    expect((await patch(app, session.id, { tags, metadata })).status).toBe(200)
    const problems = async (body: unknown) => {
      const answer = await patch(app, session.id, body)
      expect(answer.status).toBe(422)
      return ((await answer.json()) as { detail: Detail }).detail
    }
    expect(await problems({ tags: [...tags, 'one more'] })).toMatchObject([
      { type: 'too_long', loc: ['body', 'tags'] },
    ])
    expect(await problems({ tags: ['x'.repeat(65)] })).toMatchObject([
      { type: 'string_too_long', loc: ['body', 'tags', 0] },
    ])
    expect(await problems({ tags: [' padded'] })).toMatchObject([
      { type: 'string_pattern_mismatch', loc: ['body', 'tags', 0] },
    ])
    expect(await problems({ tags: ['same', 'same'] })).toMatchObject([{ loc: ['body', 'tags'] }])
    expect(await problems({ metadata: { k: 'v'.repeat(513) } })).toMatchObject([
      { type: 'string_too_long', loc: ['body', 'metadata', 'k'] },
    ])
    expect(await problems({ metadata: { ['k'.repeat(65)]: 'v' } })).toMatchObject([
      { loc: ['body', 'metadata'] },
    ])
    expect(await problems({ metadata: { 'no spaces': 'v' } })).toMatchObject([
      { loc: ['body', 'metadata'] },
    ])
    expect(await problems({ metadata: { k: 1 } })).toMatchObject([
      { loc: ['body', 'metadata', 'k'] },
    ])
    expect(await problems({ pinned: 'yes please' })).toMatchObject([
      { type: 'bool_parsing', loc: ['body', 'pinned'] },
    ])
    // 16 pairs are stored: a 17th key after the merge is refused, and nothing changes.
    expect(await problems({ pinned: true, metadata: { extra: 'v' } })).toMatchObject([
      {
        type: 'value_error',
        loc: ['body', 'metadata'],
        msg: 'Value error, A session holds at most 16 metadata pairs',
      },
    ])
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored).toMatchObject({ pinned: false, tags })
    expect(Object.keys(stored.metadata ?? {})).toHaveLength(16)
    // Removing one makes room for another in the same request.
    const swapped = await patch(app, session.id, {
      metadata: { [`${0}`.padEnd(64, 'k')]: null, extra: 'v' },
    })
    expect(swapped.status).toBe(200)
  })

  it('changes nothing for a body of fields it does not know', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const response = await patch(app, session.id, { colour: 'teal' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(session)
  })

  it('answers 404 for a session of nobody or of another owner', async () => {
    const { app } = await createTestApp({ apiKeys: { a: 'alice', b: 'bob' } })
    const created = await app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Mine' }),
      headers: { Authorization: 'Bearer a' },
    })
    const session = (await created.json()) as Session
    const asBob = await patch(app, session.id, { pinned: true }, { Authorization: 'Bearer b' })
    expect(asBob.status).toBe(404)
    const nobody = await patch(
      app,
      '5b1de0a4-3b1c-4fd4-8f5c-5f54a1a1d0aa',
      { archived: true },
      { Authorization: 'Bearer a' },
    )
    expect(nobody.status).toBe(404)
  })

  it('replays a keyed change instead of applying it twice', async () => {
    const { app } = await createTestApp()
    const session = await createEcho(app)
    const key = { 'Idempotency-Key': 'pin-once' }
    const first = await patch(app, session.id, { pinned: true }, key)
    await patch(app, session.id, { pinned: false })
    const again = await patch(app, session.id, { pinned: true }, key)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(await first.json())
    const stored = (await (await app.request(`/sessions/${session.id}`)).json()) as Session
    expect(stored.pinned).toBe(false)
    expect((await patch(app, session.id, { archived: true }, key)).status).toBe(422)
  })
})
