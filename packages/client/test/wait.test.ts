import { describe, expect, it } from 'vitest'
import { createUxmateClient, UxmateTimeoutError } from '../src/index.ts'
import { fakeFetch, json } from './fake-fetch.ts'
import { baseUrl, readySession, runningSession, sessionId } from './fixtures.ts'

describe('sessions.waitForSession', () => {
  it('polls until the session leaves Running and resolves with it', async () => {
    const flushed = {
      ...runningSession,
      status: 'Flushed' as const,
      error: { code: 'agent_error' as const, message: 'The agent failed' },
    }
    const fetch = fakeFetch(json(runningSession), json(runningSession), json(flushed))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(client.sessions.waitForSession(sessionId, { intervalMs: 1 })).resolves.toEqual(
      flushed,
    )
    expect(fetch.requests).toHaveLength(3)
    for (const request of fetch.requests) {
      expect(request.url).toBe(`${baseUrl}/sessions/${sessionId}`)
    }
  })

  it('resolves at once with a session that is not Running', async () => {
    const fetch = fakeFetch(json(readySession))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(client.sessions.waitForSession(sessionId)).resolves.toEqual(readySession)
    expect(fetch.requests).toHaveLength(1)
  })

  it('waits intervalMs between polls', async () => {
    const fetch = fakeFetch(json(runningSession), json(readySession))
    const client = createUxmateClient({ baseUrl, fetch })
    const started = Date.now()
    await client.sessions.waitForSession(sessionId, { intervalMs: 50 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(45)
  })

  it('rejects with UxmateTimeoutError when the session stays Running', async () => {
    const fetch = fakeFetch(json(runningSession))
    const client = createUxmateClient({ baseUrl, fetch })
    const pending = client.sessions.waitForSession(sessionId, { timeoutMs: 40, intervalMs: 5 })
    await expect(pending).rejects.toBeInstanceOf(UxmateTimeoutError)
    await expect(pending).rejects.toMatchObject({
      timeoutMs: 40,
      message: `Session ${sessionId} was still Running after 40 ms`,
    })
    expect(fetch.requests.length).toBeGreaterThan(1)
  })

  it("stops on the caller's signal", async () => {
    const fetch = fakeFetch(json(runningSession))
    const client = createUxmateClient({ baseUrl, fetch })
    const controller = new AbortController()
    const pending = client.sessions.waitForSession(sessionId, {
      intervalMs: 5,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(new Error('cancelled')), 20)
    await expect(pending).rejects.toThrow('cancelled')
  })
})
