import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { ChangeVersions } from '../storage/change-tracking.ts'
import type { AppEnv } from './app-env.ts'
import { createReadCache } from './read-cache.ts'

/** An app whose GET /sessions/:id reads `names[id]` through the cache, counting reads. */
function setup(changes: ChangeVersions | undefined, maxBytes = 1 << 20) {
  const cache = createReadCache({ changes, maxBytes })
  const names: Record<string, string> = { a: 'first', b: 'second' }
  let reads = 0
  const app = new Hono<AppEnv>().get('/sessions/:id', (c) => {
    const id = c.req.param('id')
    const owner = c.req.header('X-Owner') ?? 'alice'
    return cache.answer(c, 'get_grouped_sessions', owner, id, async () => {
      reads++
      const name = names[id]
      if (name === undefined) return c.json({ detail: 'Session not found' }, 404)
      return { time_to_sessions: { Today: [{ id, name, updated_at: '', agent: {} as never }] } }
    })
  })
  const get = async (id: string, owner = 'alice') => {
    const response = await app.request(`/sessions/${id}`, { headers: { 'X-Owner': owner } })
    return {
      status: response.status,
      type: response.headers.get('Content-Type'),
      body: await response.json(),
    }
  }
  return { get, names, reads: () => reads }
}

/** Versions moved by hand. */
function versions() {
  const of = new Map<string, number>()
  return {
    of: (owner: string) => of.get(owner) ?? 0,
    move: (owner: string) => of.set(owner, (of.get(owner) ?? 0) + 1),
  }
}

const nameIn = (body: { time_to_sessions: { Today: { name: string }[] } }) =>
  body.time_to_sessions.Today[0]?.name

describe('createReadCache', () => {
  it('answers again from what it kept, as JSON, until the owner moves', async () => {
    const changes = versions()
    const { get, names, reads } = setup(changes)
    const first = await get('a')
    expect(first).toMatchObject({ status: 200, type: 'application/json' })
    names.a = 'renamed'
    expect(await get('a')).toEqual(first)
    expect(reads()).toBe(1)

    changes.move('bob')
    expect(nameIn((await get('a')).body)).toBe('first')
    changes.move('alice')
    expect(nameIn((await get('a')).body)).toBe('renamed')
    expect(reads()).toBe(2)
  })

  it("keeps each owner's answers apart", async () => {
    const { get, names, reads } = setup(versions())
    await get('a', 'alice')
    names.a = 'for bob'
    expect(nameIn((await get('a', 'bob')).body)).toBe('for bob')
    expect(reads()).toBe(2)
  })

  it('never keeps an answer the read made itself (a 404)', async () => {
    const { get, names, reads } = setup(versions())
    expect((await get('z')).status).toBe(404)
    names.z = 'created'
    expect(nameIn((await get('z')).body)).toBe('created')
    expect(reads()).toBe(2)
  })

  it('drops the least recently used answers beyond its bytes', async () => {
    // One answer is ~90 bytes: room for one, not two.
    const { get, reads } = setup(versions(), 150)
    await get('a')
    await get('b')
    await get('b')
    expect(reads()).toBe(2)
    await get('a')
    expect(reads()).toBe(3)
  })

  it('keeps nothing without versions (a store shared with other instances)', async () => {
    const { get, names, reads } = setup(undefined)
    await get('a')
    names.a = 'renamed'
    expect(nameIn((await get('a')).body)).toBe('renamed')
    expect(reads()).toBe(2)
  })
})
