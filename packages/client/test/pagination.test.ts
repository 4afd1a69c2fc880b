import { describe, expect, it } from 'vitest'
import { createUxmateClient, UxmateError } from '../src/index.ts'
import { fakeFetch, json } from './fake-fetch.ts'
import { baseUrl, page } from './fixtures.ts'

const cursorsOf = (requests: Request[]) =>
  requests.map((request) => new URL(request.url).searchParams.get('cursor'))

describe('sessions.iterateSessions', () => {
  it('follows next_cursor across every page, keeping the query', async () => {
    const fetch = fakeFetch(json(page(0, 2, 'c1')), json(page(2, 2, 'c2')), json(page(4, 1)))
    const client = createUxmateClient({ baseUrl, fetch })
    const ids: string[] = []
    for await (const session of client.sessions.iterateSessions({ agent_id: 'echo', limit: 2 })) {
      ids.push(session.id)
    }
    expect(ids).toEqual(['s0', 's1', 's2', 's3', 's4'])
    expect(cursorsOf(fetch.requests)).toEqual([null, 'c1', 'c2'])
    for (const request of fetch.requests) {
      const query = new URL(request.url).searchParams
      expect([query.get('agent_id'), query.get('limit')]).toEqual(['echo', '2'])
    }
  })

  it('fetches a page only when the loop asks for it', async () => {
    const fetch = fakeFetch(json(page(0, 2, 'c1')), json(page(2, 2, 'c2')))
    const client = createUxmateClient({ baseUrl, fetch })
    for await (const session of client.sessions.iterateSessions({ agent_id: 'echo' })) {
      if (session.id === 's1') break
    }
    expect(fetch.requests).toHaveLength(1)
  })
})

describe('sessions.iterateSessionPages', () => {
  it('yields whole pages, starting from a given cursor', async () => {
    const fetch = fakeFetch(json(page(5, 1, 'c6')), json(page(6, 0)))
    const client = createUxmateClient({ baseUrl, fetch })
    const pages = []
    for await (const p of client.sessions.iterateSessionPages({ agent_id: 'echo', cursor: 'c5' })) {
      pages.push(p)
    }
    expect(pages).toEqual([page(5, 1, 'c6'), page(6, 0)])
    expect(cursorsOf(fetch.requests)).toEqual(['c5', 'c6'])
  })

  it('stops with an error when the server repeats a cursor', async () => {
    const fetch = fakeFetch(json(page(0, 1, 'same')))
    const client = createUxmateClient({ baseUrl, fetch })
    const pages = client.sessions.iterateSessionPages({ agent_id: 'echo' })
    await expect(
      (async () => {
        for await (const _ of pages) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(UxmateError)
    expect(fetch.requests).toHaveLength(2)
  })

  it('rejects the loop with the API error of a failed page', async () => {
    const fetch = fakeFetch(json(page(0, 1, 'c1')), json({ detail: 'Agent not found' }, 404))
    const client = createUxmateClient({ baseUrl, fetch })
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const session of client.sessions.iterateSessions({ agent_id: 'gone' })) {
          seen.push(session.id)
        }
      })(),
    ).rejects.toMatchObject({ status: 404, operationId: 'get_sessions' })
    expect(seen).toEqual(['s0'])
  })
})

describe('sessions.iterateSearchHits', () => {
  const hits = (from: number, count: number, next?: string) => ({
    hits: Array.from({ length: count }, (_, i) => ({
      session: { id: `s${from + i}`, name: `Session ${from + i}` },
      snippet: `<mark>hit</mark> ${from + i}`,
    })),
    ...(next && { next_cursor: next }),
  })

  it('follows next_cursor with the same q, and yields pages or hits', async () => {
    const fetch = fakeFetch(json(hits(0, 2, 'h2')), json(hits(2, 1)))
    const client = createUxmateClient({ baseUrl, fetch })
    const snippets: string[] = []
    for await (const hit of client.sessions.iterateSearchHits({ q: 'hit -miss', limit: 2 }))
      snippets.push(hit.snippet)
    expect(snippets).toEqual(['<mark>hit</mark> 0', '<mark>hit</mark> 1', '<mark>hit</mark> 2'])
    expect(cursorsOf(fetch.requests)).toEqual([null, 'h2'])
    for (const request of fetch.requests) {
      expect(new URL(request.url).pathname).toBe('/sessions/search')
      expect(new URL(request.url).searchParams.get('q')).toBe('hit -miss')
    }
    const pages = createUxmateClient({ baseUrl, fetch: fakeFetch(json(hits(5, 1))) })
    const seen = []
    for await (const p of pages.sessions.iterateSearchPages({ q: 'hit', cursor: 'h5' }))
      seen.push(p)
    expect(seen).toEqual([hits(5, 1)])
  })
})
