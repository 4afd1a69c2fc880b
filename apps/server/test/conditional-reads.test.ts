/**
 * Conditional reads on both stores (kept answers on SQLite, answers built each time on
 * PostgreSQL): each read and file download carries an `ETag`, `If-None-Match` with it answers
 * `304` without a body while nothing changed, and `200` with the new answer after a write; a
 * malformed `If-None-Match` is ignored.
 */
import type { Session } from '@uxmate/contract'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storeDatabases } from './support/store-databases.ts'
import { createTestApp, sessionForm } from './test-app.ts'

type TestApp = Awaited<ReturnType<typeof createTestApp>>

const KEY = 'uxm_key-a'
const auth = { Authorization: `Bearer ${KEY}` }

describe.each(storeDatabases())('conditional reads on $name', (databases) => {
  let opened: TestApp
  let session: Session

  beforeAll(() => databases.setUp(), 60_000)
  afterAll(() => databases.tearDown(), 60_000)
  beforeEach(async () => {
    const store = (await databases.newDatabase()).open()
    await store.migrate()
    opened = await createTestApp({
      store,
      apiKeys: { [KEY]: 'alice' },
      config: { rateLimitPerSecond: 100, rateLimitBurst: 100 },
    })
    const created = await opened.app.request('/sessions/text', {
      method: 'POST',
      headers: auth,
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }, [
        { name: 'notes.txt', type: 'text/plain', content: 'Meeting notes' },
      ]),
    })
    session = (await created.json()) as Session
  })
  afterEach(() => opened.shutdown(0))

  const get = (path: string, ifNoneMatch?: string) =>
    opened.app.request(path, {
      headers: { ...auth, ...(ifNoneMatch !== undefined && { 'If-None-Match': ifNoneMatch }) },
    })
  const rename = (name: string) =>
    opened.app.request(`/sessions/${session.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    })
  const reads = () => [
    `/sessions/${session.id}`,
    '/sessions?agent_id=echo',
    '/sessions/grouped?tz=Europe/Paris',
  ]

  it('answers 304 with no body to the current ETag of each read, with the headers of a 200', async () => {
    for (const path of reads()) {
      const first = await get(path)
      expect(first.status, path).toBe(200)
      const etag = first.headers.get('ETag') ?? ''
      expect(etag, path).toMatch(/^"[0-9a-f]{16}"$/)
      expect(first.headers.get('Cache-Control')).toBe('private, no-cache')

      const again = await get(path, etag)
      expect(again.status, path).toBe(304)
      expect(await again.text()).toBe('')
      expect(again.headers.get('ETag')).toBe(etag)
      expect(again.headers.get('Cache-Control')).toBe('private, no-cache')
      expect(again.headers.get('Content-Type')).toBeNull()
      expect(again.headers.get('X-Request-Id')).toMatch(/./)
      expect(again.headers.get('RateLimit')).toMatch(/"default";r=\d+/)
      expect(again.headers.get('X-Content-Type-Options')).toBe('nosniff')
    }
  })

  it('changes the ETag after a write, and answers 200 with the new body to the old one', async () => {
    const before = await Promise.all(
      reads().map(async (path) => (await get(path)).headers.get('ETag') ?? ''),
    )
    expect((await rename('Renamed')).status).toBe(200)
    for (const [i, path] of reads().entries()) {
      const after = await get(path, before[i])
      expect(after.status, path).toBe(200)
      expect(after.headers.get('ETag'), path).not.toBe(before[i])
      expect(await after.text(), path).toContain('Renamed')
    }
  })

  it('matches any tag of a list, W/ or not, and `*`', async () => {
    const path = `/sessions/${session.id}`
    const etag = (await get(path)).headers.get('ETag') ?? ''
    expect((await get(path, `"old", W/${etag}`)).status).toBe(304)
    expect((await get(path, `"old",  ${etag} , "older"`)).status).toBe(304)
    expect((await get(path, '*')).status).toBe(304)
    expect((await get(path, '"old", "older"')).status).toBe(200)
  })

  it('ignores a malformed If-None-Match: the full answer, never an error', async () => {
    const path = '/sessions/grouped'
    const etag = (await get(path)).headers.get('ETag') ?? ''
    for (const malformed of [
      etag.slice(1),
      `${etag} ${etag}`,
      'garbage',
      '"unclosed',
      ',,,',
      '\t',
    ]) {
      const answer = await get(path, malformed)
      expect(answer.status, malformed).toBe(200)
      expect(answer.headers.get('ETag')).toBe(etag)
      expect(await answer.json()).toHaveProperty('time_to_sessions')
    }
  })

  it('answers a 404 as a 404 whatever If-None-Match says', async () => {
    expect((await get('/sessions/00000000-0000-4000-8000-000000000000', '*')).status).toBe(404)
  })

  it("tags a file download by the file's id and hash, and answers 304 to it", async () => {
    const file = session.messages[0]?.files?.[0]
    if (!file) throw new Error('the session has a file')
    const path = `/sessions/${session.id}/files/${file.id}`
    const first = await get(path)
    expect(first.status).toBe(200)
    expect(await first.text()).toBe('Meeting notes')
    const etag = first.headers.get('ETag') ?? ''
    expect(etag).toMatch(new RegExp(`^"${file.id}\\.[0-9a-f]{64}"$`))
    expect(first.headers.get('Content-Disposition')).toMatch(/^attachment/)
    // A write to the session does not change a stored file.
    await rename('Renamed')
    const again = await get(path, etag)
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect(again.headers.get('ETag')).toBe(etag)
  })
})
