/**
 * The SQLite store's JSON reads (`JsonReads`) write the very bytes the presenters' wire objects
 * give as JSON, for every kind of field: unicode and control characters in text, null fields,
 * files, usage, ratings, errors, organise fields, previews, branches and cursors.
 */
import type { GetSessionsResponse, Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import type { Agent } from '../src/domain/agent.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import { groupByRecency } from '../src/domain/recency-buckets.ts'
import { agentJsonOf, toSession, toSummary } from '../src/http/presenters.ts'
import { createControlledAgent, createTestApp, sessionForm } from './test-app.ts'

/** An agent that answers with `replyText` and reports what the model used. */
function usageAgent(replyText: string): Agent {
  return {
    profile: {
      id: 'metered',
      name: 'Metered "agent" ✓',
      assistant_id: 'metered',
      assistant_nickname: 'M',
      welcome_message: 'Hi\nthere',
      user_initial_message: '',
      icon: '',
      visibility_requirements: ['a'],
    },
    async *reply(_conversation, _signal, context) {
      context.recordCall({
        kind: 'reply',
        usage: { inputTokens: 12, outputTokens: 34, cachedTokens: 5, estimated: true },
      })
      yield replyText
    },
  }
}

const STRANGE =
  'Quote " backslash \\ new\nline \t tab \u0000 nul \u001f unit \u007f del é 日本 🚀 \u2028'

async function seededApp() {
  const failing = createControlledAgent('failing')
  const agents = [usageAgent(`Reply: ${STRANGE}`), failing.agent]
  const { app, store } = await createTestApp({
    agents: [
      ...agents,
      (await import('../src/agents/echo-agent.ts')).createEchoAgent({ delayMs: 0 }),
    ],
  })
  const post = async (agent: string, text: string, files: Parameters<typeof sessionForm>[1] = []) =>
    (await (
      await app.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: agent, text_prompt: text }, files),
      })
    ).json()) as Session
  const send = (path: string, method: string, body?: unknown) =>
    app.request(path, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      }),
    })

  const metered = await post('metered', STRANGE, [
    { name: 'notes "1".txt', type: 'text/plain', content: 'hello' },
    { name: 'pic.png', type: 'image/png', content: new Uint8Array([1, 2, 3]) },
  ])
  const reply = metered.messages[1]
  if (!reply) throw new Error('no reply')
  await send(`/sessions/${metered.id}/messages/${reply.id}/feedback`, 'PUT', {
    rating: 'up',
    comment: `Nice ${STRANGE}`,
  })
  const patched = await send(`/sessions/${metered.id}`, 'PATCH', {
    name: `Renamed ${STRANGE}`,
    pinned: true,
    tags: ['b', 'a', 'ü "x"'],
    metadata: { z: '1', '10': 'ten', k: 'v\u0001 "é"' },
  })
  if (patched.status !== 200) throw new Error(await patched.text())
  // A second branch: the regenerated reply is a sibling of the first.
  const branched = await post('echo', '  Long   preview\n\n'.repeat(40))
  const first = branched.messages[0]
  if (!first) throw new Error('no message')
  await send(`/sessions/${branched.id}`, 'PUT', { text_prompt: 'Second turn' })
  await send(`/sessions/${branched.id}/messages/${branched.messages[1]?.id}/regenerate`, 'POST')
  // A failed run: an error, no reply.
  failing.fail(new Error('boom'))
  await post('failing', 'Will fail')
  await post('echo', '🚀'.repeat(200))
  const rated = await post('echo', 'Rated without comment')
  await send(`/sessions/${rated.id}/messages/${rated.messages[1]?.id}/feedback`, 'PUT', {
    rating: 'down',
  })
  await send(`/sessions/${rated.id}`, 'PATCH', { archived: true })
  // Every write that adds messages or moves the active branch, for the counts and previews
  // kept on each session's row (migration 0050): an edit, a branch switch back, a fork, an
  // import after the session's delete.
  const edited = await post('echo', 'Before the edit')
  const answered = await expectOk(
    app.request(`/sessions/${edited.id}/messages/${edited.messages[0]?.id}/edit`, {
      method: 'POST',
      body: sessionForm({ text_prompt: 'After   the\t edit' }),
    }),
  )
  expect(answered.messages.map((m) => m.text)[0]).toBe('After   the\t edit')
  await expectOk(send(`/sessions/${edited.id}/messages/${edited.messages[1]?.id}/switch`, 'POST'))
  await expectOk(send(`/sessions/${edited.id}/messages/${edited.messages[0]?.id}/fork`, 'POST'))
  const exported = await app.request(`/sessions/${rated.id}/export`)
  const line = await exported.text()
  expect((await send(`/sessions/${rated.id}`, 'DELETE')).status).toBe(204)
  const form = new FormData()
  form.append('file', new Blob([line]), 'sessions.ndjson')
  const imported = await app.request('/sessions/import', { method: 'POST', body: form })
  expect(((await imported.json()) as { imported: number }).imported).toBe(1)
  return { app, store, agents: createAgentRegistry([...agents]), ids: [metered.id, branched.id] }
}

/** The session a write answers, once it answered 2xx. */
async function expectOk(answer: Response | Promise<Response>): Promise<Session> {
  const response = await answer
  if (response.status >= 300) throw new Error(`${response.status}: ${await response.text()}`)
  return (await response.json()) as Session
}

describe('the SQLite JSON reads', () => {
  it('write each session as toSession does', async () => {
    const { store, ids } = await seededApp()
    const page = await store.listSessions({ owner: 'anonymous', agentId: 'echo', limit: 50 })
    for (const id of [...ids, ...page.sessions.map((s) => s.id)]) {
      const record = await store.getSession('anonymous', id)
      if (!record) throw new Error(`no session ${id}`)
      expect(await store.getSessionJson?.('anonymous', id)).toBe(JSON.stringify(toSession(record)))
    }
    // The seed has what each field needs: files, usage, ratings, an error, a second branch.
    const metered = await store.getSessionJson?.('anonymous', ids[0] as string)
    for (const field of ['"files":', '"usage":', '"feedback":', '"comment":', '"tags":["b"'])
      expect(metered).toContain(field)
    const branched = await store.getSession('anonymous', ids[1] as string)
    // The reply regenerated after a second turn: that turn is on the branch left behind.
    expect(branched?.messages).toHaveLength(2)
    expect(branched?.messages.map((m) => m.text)).not.toContain('Second turn')
    expect(await store.getSessionJson?.('someone else', ids[0] as string)).toBeUndefined()
    expect(await store.getSessionJson?.('anonymous', 'no-such-session')).toBeUndefined()
  })

  it('write pages of sessions as toSession does, filters and cursors included', async () => {
    const { store } = await seededApp()
    const filters = [
      undefined,
      { archived: true, tags: [], metadata: [] },
      { archived: false, pinned: true, tags: [], metadata: [] },
      { archived: false, pinned: false, tags: [], metadata: [] },
      {
        archived: false,
        tags: ['a', 'ü "x"'],
        metadata: [['k', 'v\u0001 "é"']] as [string, string][],
      },
      { archived: false, tags: ['missing'], metadata: [] },
    ]
    for (const agentId of ['echo', 'metered', 'failing', 'nobody'])
      for (const filter of filters)
        for (const limit of [1, 2, 50]) {
          let after: Awaited<ReturnType<typeof store.listSessions>>['next']
          do {
            const query = { owner: 'anonymous', agentId, limit, filter, after }
            const records = await store.listSessions(query)
            const text = await store.listSessionsJson?.(query)
            expect(text?.json).toBe(JSON.stringify(records.sessions.map(toSession)))
            expect(text?.next).toEqual(records.next)
            after = records.next
          } while (after)
        }
  })

  it('write summaries as toSummary does, previews and unknown agents included', async () => {
    const { store, agents } = await seededApp()
    const agentJson = agentJsonOf(agents)
    for (const agentId of [undefined, 'echo', 'metered'])
      for (const filter of [undefined, { archived: true, tags: [], metadata: [] }])
        for (const limit of [1, 100]) {
          const query = { owner: 'anonymous', agentId, limit, filter }
          const records = await store.recentSessions(query)
          const texts = (await store.recentSessionsJson?.({ ...query, agentJson })) ?? []
          expect(texts.map((t) => t.json)).toEqual(
            records.map((r) => JSON.stringify(toSummary(r, agents))),
          )
          expect(texts.map((t) => t.updatedAt)).toEqual(records.map((r) => r.updatedAt))
        }
  })

  it('answer get_sessions and get_grouped_sessions as the wire objects would', async () => {
    const { app, store, agents } = await seededApp()
    const list = (await (await app.request('/sessions?agent_id=echo&limit=1')).text()) as string
    const records = await store.listSessions({ owner: 'anonymous', agentId: 'echo', limit: 1 })
    const body = JSON.parse(list) as GetSessionsResponse
    expect(list).toBe(
      JSON.stringify({
        sessions: records.sessions.map(toSession),
        next_cursor: body.next_cursor,
      }),
    )
    expect(body.next_cursor).toBeDefined()
    const allAgents = createAgentRegistry([
      ...agents.list(),
      (await import('../src/agents/echo-agent.ts')).createEchoAgent({ delayMs: 0 }),
    ])
    for (const pinnedGroup of [false, true]) {
      const grouped = await (
        await app.request(`/sessions/grouped?tz=Europe/Paris&pinned_group=${pinnedGroup}`)
      ).text()
      const now = new Date()
      const all = await store.recentSessions({ owner: 'anonymous', limit: 100 })
      const summaries = (list: typeof all) => list.map((s) => toSummary(s, allAgents))
      const time_to_sessions = Object.fromEntries(
        [
          ...groupByRecency(pinnedGroup ? all.filter((s) => !s.pinned) : all, now, 'Europe/Paris'),
        ].map(([bucket, list]) => [bucket, summaries(list)]),
      )
      const pinned = pinnedGroup ? summaries(all.filter((s) => s.pinned)) : undefined
      expect(grouped).toBe(JSON.stringify({ ...(pinned && { pinned }), time_to_sessions }))
    }
  })
})
