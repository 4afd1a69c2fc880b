/**
 * Where the server or the client departs from openapi.yaml, found by this suite. Each test states
 * what the document says and fails today; it is marked `it.fails` so that the rest of
 * `pnpm test` keeps running, and it turns red the day the behaviour is fixed: then drop the
 * marker (or change openapi.yaml to say what the code does, and delete the test).
 */
import { createUxmateClient } from '@uxmate/client'
import { describe, expect, it } from 'vitest'

describe('client vs openapi.yaml', () => {
  // The client sends `Idempotency-Key` on every createSessionFromText/updateSession and, relying
  // on it, retries those POSTs/PUTs after a network error or a 503. openapi.yaml documents no
  // such header and the server ignores it: a retried create can open a second session.
  it.fails('sends only the headers openapi.yaml documents for create_session_from_text', async () => {
    const sent: string[] = []
    const client = createUxmateClient({
      baseUrl: 'http://uxmate.test',
      fetch: async (request) => {
        sent.push(...request.headers.keys())
        return Response.json({ detail: 'Agent not found' }, { status: 404 })
      },
    })
    await client.sessions.createSessionFromText({ agent_id: 'x', text_prompt: 'y' }).catch(() => {})
    const documented = ['prefer', 'x-request-id', 'content-type', 'content-length', 'accept']
    expect(sent.filter((name) => !documented.includes(name))).toEqual([])
  })
})
