/**
 * Edges where the server could drift from openapi.yaml towards FastAPI's laxer habits: media
 * types, UUID spellings and bodies that break off must all get the documented answer.
 */
import { describe, expect, it } from 'vitest'
import { type InProcessServer, sessionForm, startInProcess } from '../src/fixtures.ts'
import { validateResponse } from '../src/spec-validator.ts'

async function withSession(): Promise<{ server: InProcessServer; id: string }> {
  const server = await startInProcess()
  const response = await server.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }),
  })
  return { server, id: ((await response.json()) as { id: string }).id }
}

describe('server vs openapi.yaml', () => {
  // update_session's and rename_session's bodies are documented as `application/json` only, and
  // 415 is "The body's Content-Type is not the one this operation takes" (FastAPI is laxer).
  it.each([
    ['PUT', 'application/merge-patch+json'],
    ['PUT', 'application/vnd.uxmate+json'],
    ['PUT', undefined],
    ['PATCH', 'application/merge-patch+json'],
    ['PATCH', undefined],
  ])('%s /sessions/{session_id} answers 415 to a body of type %s', async (method, type) => {
    const { server, id } = await withSession()
    const response = await server.request(`/sessions/${id}`, {
      method,
      headers: type === undefined ? {} : { 'Content-Type': type },
      body: new TextEncoder().encode('{"text_prompt":"Again","name":"Again"}'),
    })
    expect(response.status).toBe(415)
  })

  // `session_id` (and `file_id`) are opaque (ResourceId): other spellings of a session's UUID
  // name no session (404), braces are outside the character set (422).
  it.each([
    ['hex', 404],
    ['braced', 422],
  ])('get_session answers a %s spelling of a UUID with %i', async (form, status) => {
    const { server, id } = await withSession()
    const spelled = form === 'hex' ? id.replaceAll('-', '') : `%7B${id}%7D`
    const response = await server.request(`/sessions/${spelled}`)
    expect(response.status).toBe(status)
  })

  // A request body that breaks off (the client went away) still gets a documented answer.
  it('answers a documented status when the body stream breaks off', async () => {
    const { server, id } = await withSession()
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"text_pro'))
        controller.error(new Error('connection reset'))
      },
    })
    const response = await server.request(`/sessions/${id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(
      validateResponse(
        'update_session',
        response.status,
        response.headers.get('content-type'),
        await response.text(),
        response.headers,
      ),
    ).toEqual([])
  })
})
