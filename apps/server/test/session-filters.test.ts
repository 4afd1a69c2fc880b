/**
 * The lists' filters (archived, pinned, tag, metadata), sessions listed without their
 * messages, and the grouped sidebar with its pinned group and previews.
 */
import type { GetSessionsResponse, GroupedSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { createManualClock, createTestApp, sessionForm } from './test-app.ts'

type App = Awaited<ReturnType<typeof createTestApp>>['app']

async function createEcho(app: App, text: string) {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: text }),
  })
  return (await response.json()) as Session
}

const patch = (app: App, id: string, body: unknown) =>
  app.request(`/sessions/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  })

const get = async <T>(app: App, path: string) => {
  const response = await app.request(path)
  expect(response.status, path).toBe(200)
  return (await response.json()) as T
}

/** Four sessions, a minute apart, oldest first: pinned, tagged, archived, labelled. */
async function sidebar() {
  const clock = createManualClock()
  const { app } = await createTestApp({ clock })
  const made: Session[] = []
  for (const text of ['Pinned one', 'Tagged one', 'Archived one', 'Labelled one']) {
    made.push(await createEcho(app, text))
    clock.advance(60_000)
  }
  const [pinned, tagged, archived, labelled] = made as [Session, Session, Session, Session]
  await patch(app, pinned.id, { pinned: true, tags: ['research'] })
  await patch(app, tagged.id, { tags: ['research', 'q3'], metadata: { project: 'alpha' } })
  await patch(app, archived.id, { archived: true, tags: ['research'] })
  await patch(app, labelled.id, { metadata: { project: 'alpha', 'crm:id': 'a=b' } })
  return { app, clock, pinned, tagged, archived, labelled }
}

const listed = async (app: App, query: string) =>
  (await get<GetSessionsResponse>(app, `/sessions?agent_id=echo&${query}`)).sessions.map(
    (s) => s.name,
  )

describe('filtered lists', () => {
  it('hides archived sessions unless asked, and narrows by pin, tags and pairs together', async () => {
    const { app } = await sidebar()
    expect(await listed(app, '')).toEqual(['Labelled one', 'Tagged one', 'Pinned one'])
    expect(await listed(app, 'archived=true')).toEqual(['Archived one'])
    expect(await listed(app, 'pinned=true')).toEqual(['Pinned one'])
    expect(await listed(app, 'pinned=false')).toEqual(['Labelled one', 'Tagged one'])
    expect(await listed(app, 'tag=research')).toEqual(['Tagged one', 'Pinned one'])
    expect(await listed(app, 'tag=research&tag=q3')).toEqual(['Tagged one'])
    expect(await listed(app, 'tag=research&archived=true')).toEqual(['Archived one'])
    expect(await listed(app, 'metadata=project%3Dalpha')).toEqual(['Labelled one', 'Tagged one'])
    expect(await listed(app, 'metadata=project%3Dalpha&tag=q3')).toEqual(['Tagged one'])
    // Split at the first `=`: the value holds one.
    expect(await listed(app, 'metadata=crm%3Aid%3Da%3Db')).toEqual(['Labelled one'])
    expect(await listed(app, 'metadata=project%3Dalpha&metadata=crm%3Aid%3Dx')).toEqual([])
    expect(await listed(app, 'metadata=project%3D')).toEqual([])
  })

  it('pages a filtered list with its cursor, and answers 422 for a bad filter', async () => {
    const { app } = await sidebar()
    const first = await get<GetSessionsResponse>(
      app,
      '/sessions?agent_id=echo&tag=research&limit=1',
    )
    expect(first.sessions.map((s) => s.name)).toEqual(['Tagged one'])
    const cursor = encodeURIComponent(first.next_cursor ?? '')
    const second = await get<GetSessionsResponse>(
      app,
      `/sessions?agent_id=echo&tag=research&limit=1&cursor=${cursor}`,
    )
    expect(second.sessions.map((s) => s.name)).toEqual(['Pinned one'])
    expect(second.next_cursor).toBeUndefined()
    const problem = async (query: string) => {
      const response = await app.request(`/sessions?agent_id=echo&${query}`)
      expect(response.status, query).toBe(422)
      return ((await response.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]?.loc
    }
    expect(await problem('metadata=no-equals-sign')).toEqual(['query', 'metadata', 0])
    expect(await problem('metadata=bad%20key%3Dv')).toEqual(['query', 'metadata', 0])
    expect(await problem(`metadata=k%3D${'v'.repeat(513)}`)).toEqual(['query', 'metadata', 0])
    expect(await problem(`tag=${'t'.repeat(65)}`)).toEqual(['query', 'tag', 0])
    expect(await problem(Array.from({ length: 17 }, (_, i) => `tag=t${i}`).join('&'))).toEqual([
      'query',
      'tag',
    ])
    expect(await problem('archived=maybe')).toEqual(['query', 'archived'])
    expect(await problem('pinned=maybe')).toEqual(['query', 'pinned'])
    expect(await problem('include_messages=maybe')).toEqual(['query', 'include_messages'])
    // At the limits: fine.
    expect(await listed(app, `metadata=k%3D${'v'.repeat(512)}`)).toEqual([])
    expect(await listed(app, Array.from({ length: 16 }, (_, i) => `tag=t${i}`).join('&'))).toEqual(
      [],
    )
  })

  it('lists sessions without their messages, with what they hold instead', async () => {
    const { app, labelled } = await sidebar()
    const long = `${'word '.repeat(100)}\n\nend`
    await app.request(`/sessions/${labelled.id}`, {
      method: 'PUT',
      body: JSON.stringify({ text_prompt: long }),
      headers: { 'Content-Type': 'application/json' },
    })
    const full = await get<GetSessionsResponse>(app, '/sessions?agent_id=echo&limit=1')
    expect(full.sessions[0]?.messages).toHaveLength(4)
    expect(full.sessions[0]).not.toHaveProperty('message_count')
    const bare = await get<GetSessionsResponse>(
      app,
      '/sessions?agent_id=echo&limit=1&include_messages=false',
    )
    const session = bare.sessions[0]
    const reply = full.sessions[0]?.messages.at(-1)
    expect(session).toMatchObject({
      id: labelled.id,
      messages: [],
      message_count: 4,
      last_message_at: reply?.created_at,
    })
    expect(session?.last_message_preview).toBe(
      reply?.text.replace(/\s+/g, ' ').trim().slice(0, 160),
    )
    expect(session?.last_message_preview).toHaveLength(160)
    // A page without messages stays small however long the chats are.
    expect(JSON.stringify(bare).length).toBeLessThan(JSON.stringify(full).length / 2)
    expect(bare.next_cursor).toBeDefined()
  })
})

describe('the grouped sidebar', () => {
  it('puts pinned sessions first in a group of their own, only when asked', async () => {
    const { app, pinned } = await sidebar()
    const old = await get<GroupedSessionsResponse>(app, '/sessions/grouped')
    expect(old).not.toHaveProperty('pinned')
    expect(old.time_to_sessions.Today?.map((s) => s.name)).toEqual([
      'Labelled one',
      'Tagged one',
      'Pinned one',
    ])
    const grouped = await get<GroupedSessionsResponse>(app, '/sessions/grouped?pinned_group=true')
    expect(Object.keys(grouped)).toEqual(['pinned', 'time_to_sessions'])
    expect(grouped.pinned).toEqual([
      expect.objectContaining({
        id: pinned.id,
        name: 'Pinned one',
        pinned: true,
        tags: ['research'],
        message_count: 2,
        last_message_preview: 'You said: Pinned one',
        last_message_at: pinned.updated_at,
      }),
    ])
    expect(grouped.time_to_sessions.Today?.map((s) => s.name)).toEqual([
      'Labelled one',
      'Tagged one',
    ])
    const onlyPinned = await get<GroupedSessionsResponse>(
      app,
      '/sessions/grouped?pinned_group=true&pinned=true',
    )
    expect(onlyPinned.pinned).toHaveLength(1)
    expect(onlyPinned.time_to_sessions).toEqual({})
    const noPinned = await get<GroupedSessionsResponse>(
      app,
      '/sessions/grouped?pinned_group=true&pinned=false',
    )
    expect(noPinned.pinned).toEqual([])
  })

  it('filters the groups like the list, archived ones included only when asked', async () => {
    const { app } = await sidebar()
    const names = async (query: string) => {
      const grouped = await get<GroupedSessionsResponse>(app, `/sessions/grouped?${query}`)
      return [
        ...(grouped.pinned ?? []).map((s) => `pinned:${s.name}`),
        ...Object.values(grouped.time_to_sessions).flatMap((list) => list.map((s) => s.name)),
      ]
    }
    expect(await names('archived=true')).toEqual(['Archived one'])
    expect(await names('tag=research&pinned_group=true')).toEqual([
      'pinned:Pinned one',
      'Tagged one',
    ])
    expect(await names('metadata=project%3Dalpha')).toEqual(['Labelled one', 'Tagged one'])
    expect(await names('agent_id=nobody')).toEqual([])
  })

  it('never serves a kept answer for other filters, nor after an organising change', async () => {
    const { app, tagged } = await sidebar()
    expect(await listed(app, 'tag=q3')).toEqual(['Tagged one'])
    expect(await listed(app, 'tag=research')).toEqual(['Tagged one', 'Pinned one'])
    await patch(app, tagged.id, { archived: true })
    expect(await listed(app, 'tag=q3')).toEqual([])
    const grouped = await get<GroupedSessionsResponse>(app, '/sessions/grouped?archived=true')
    expect(
      Object.values(grouped.time_to_sessions)
        .flat()
        .map((s) => s.name),
    ).toEqual(['Archived one', 'Tagged one'])
  })
})
