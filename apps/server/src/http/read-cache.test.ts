import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { ChangeVersions } from '../domain/change-versions.ts'
import { type CalendarDay, dayIn } from '../domain/recency-buckets.ts'
import type { AppEnv } from './app-env.ts'
import { asMiddleware } from './pipeline.ts'
import { createReadCache } from './read-cache.ts'

const start = new Date('2026-11-26T09:00:00.000Z')

/**
 * An app whose GET /sessions/:id reads `names[id]` through the cache, counting reads; the
 * answer of `?tz=` is kept for that zone's day.
 */
function setup(changes: ChangeVersions | undefined, maxBytes = 1 << 20) {
  let now = start.getTime()
  const cache = createReadCache({ changes, maxBytes, clock: { now: () => new Date(now) } })
  const names: Record<string, string> = { a: 'first', b: 'second' }
  let reads = 0
  const app = new Hono<AppEnv>().get(
    '/sessions/:id',
    (c, next) => {
      c.set('owner', c.req.header('X-Owner') ?? 'alice')
      return next()
    },
    asMiddleware(cache.kept()),
    (c) => {
      const id = c.req.param('id')
      const zone = c.req.query('tz')
      const day: CalendarDay | undefined = zone
        ? { zone, day: dayIn(new Date(now), zone) }
        : undefined
      return cache.answer(c, async () => {
        reads++
        const name = names[id]
        if (name === undefined) return c.json({ detail: 'Session not found' }, 404)
        const body = {
          time_to_sessions: { Today: [{ id, name, updated_at: '', agent: {} as never }] },
        }
        return { body, ...(day && { day }) }
      })
    },
  )
  const get = async (target: string, owner = 'alice') => {
    const response = await app.request(target, { headers: { 'X-Owner': owner } })
    return {
      status: response.status,
      type: response.headers.get('Content-Type'),
      body: await response.json(),
    }
  }
  /** The answer to a GET sent with `If-None-Match`, as its status, tags and text. */
  const revalidate = async (target: string, ifNoneMatch: string) => {
    const response = await app.request(target, {
      headers: { 'X-Owner': 'alice', 'If-None-Match': ifNoneMatch },
    })
    return {
      status: response.status,
      etag: response.headers.get('ETag'),
      cacheControl: response.headers.get('Cache-Control'),
      text: await response.text(),
    }
  }
  return {
    get,
    revalidate,
    names,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms
    },
  }
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
    const first = await get('/sessions/a')
    expect(first).toMatchObject({ status: 200, type: 'application/json' })
    names.a = 'renamed'
    expect(await get('/sessions/a')).toEqual(first)
    expect(reads()).toBe(1)

    changes.move('bob')
    expect(nameIn((await get('/sessions/a')).body)).toBe('first')
    changes.move('alice')
    expect(nameIn((await get('/sessions/a')).body)).toBe('renamed')
    expect(reads()).toBe(2)
  })

  it("keeps each owner's answers, and each request target's, apart", async () => {
    const { get, names, reads } = setup(versions())
    await get('/sessions/a', 'alice')
    names.a = 'for bob'
    expect(nameIn((await get('/sessions/a', 'bob')).body)).toBe('for bob')
    expect(nameIn((await get('/sessions/a?x=1', 'alice')).body)).toBe('for bob')
    expect(nameIn((await get('/sessions/a', 'alice')).body)).toBe('first')
    expect(reads()).toBe(3)
  })

  it('never keeps an answer the read made itself (a 404)', async () => {
    const { get, names, reads } = setup(versions())
    expect((await get('/sessions/z')).status).toBe(404)
    names.z = 'created'
    expect(nameIn((await get('/sessions/z')).body)).toBe('created')
    expect(reads()).toBe(2)
  })

  it('keeps an answer for a day only until that day ends in its zone', async () => {
    const { get, names, reads, advance } = setup(versions())
    // 09:00 UTC is 18:00 in Tokyo.
    await get('/sessions/a?tz=Asia/Tokyo')
    await get('/sessions/a?tz=UTC')
    names.a = 'next day'
    advance(5 * 3_600_000)
    expect(nameIn((await get('/sessions/a?tz=Asia/Tokyo')).body)).toBe('first')
    advance(3_600_000)
    expect(nameIn((await get('/sessions/a?tz=Asia/Tokyo')).body)).toBe('next day')
    expect(nameIn((await get('/sessions/a?tz=UTC')).body)).toBe('first')
    expect(reads()).toBe(3)
  })

  it('drops the least recently used answers beyond its bytes', async () => {
    // One answer is ~90 bytes: room for one, not two.
    const { get, reads } = setup(versions(), 150)
    await get('/sessions/a')
    await get('/sessions/b')
    await get('/sessions/b')
    expect(reads()).toBe(2)
    await get('/sessions/a')
    expect(reads()).toBe(3)
  })

  it('keeps nothing without versions (a store shared with other instances)', async () => {
    const { get, names, reads } = setup(undefined)
    await get('/sessions/a')
    names.a = 'renamed'
    expect(nameIn((await get('/sessions/a')).body)).toBe('renamed')
    expect(reads()).toBe(2)
  })

  it.each([
    ['kept', versions()],
    ['not kept', undefined],
  ] as const)('answers 304 to the ETag of the current answer, %s', async (_, changes) => {
    const { revalidate, names, reads } = setup(changes)
    const first = await revalidate('/sessions/a', '"none"')
    expect(first).toMatchObject({ status: 200, cacheControl: 'private, no-cache' })
    const etag = first.etag ?? ''
    expect(etag).toMatch(/^"[\w-]+"$/)
    expect(await revalidate('/sessions/a', etag)).toEqual({
      status: 304,
      etag,
      cacheControl: 'private, no-cache',
      text: '',
    })
    expect(reads()).toBe(changes ? 1 : 2)

    names.a = 'renamed'
    changes?.move('alice')
    const after = await revalidate('/sessions/a', etag)
    expect(after.status).toBe(200)
    expect(after.text).toContain('renamed')
    expect(after.etag).not.toBe(etag)
  })
})
