/**
 * Server conformance, in-process: every operation and documented status through `app.request`,
 * on an in-memory store with agents the test controls.
 */
import type { Session } from '@uxmate/contract'
import { describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { type InProcessServer, sessionForm, smallLimits, startInProcess } from '../src/fixtures.ts'
import { runEveryOperation, type ScenarioTarget, settle } from '../src/scenario.ts'

const via = 'in-process'

function targetFor(server: InProcessServer): ScenarioTarget {
  const target: ScenarioTarget = {
    via,
    limits: smallLimits,
    send: (path, init) => server.request(path, init),
    async startBusySession() {
      server.held.hold()
      const { body } = await expectConformant<Session>(
        'create_session_from_text',
        await server.request('/sessions/text', {
          method: 'POST',
          headers: { Prefer: 'respond-async' },
          body: sessionForm({ agent_id: 'held', text_prompt: 'Take your time' }),
        }),
        { status: 202, via },
      )
      expect(body.status).toBe('Running')
      return {
        sessionId: body.id,
        async finish() {
          server.held.release()
          await settle(target, body.id)
        },
      }
    },
    shutdown: () => server.shutdown(0),
    holdAnswers() {
      const { reached } = server.answers.hold()
      return { reached, release: () => server.answers.release() }
    },
  }
  return target
}

describe('the server, in-process, against openapi.yaml', () => {
  it('answers every operation with every documented status, each conforming', async () => {
    await runEveryOperation(targetFor(await startInProcess()))
  })

  it('conforms for sessions that end Flushed (with `error`) or outlast the wait (Running)', async () => {
    const server = await startInProcess({ runWaitMs: 50 })
    const flushed = await expectConformant<Session>(
      'create_session_from_text',
      await server.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'failing', text_prompt: 'Fail, please' }),
      }),
      { status: 200, via },
    )
    expect(flushed.body.status).toBe('Flushed')
    expect(flushed.body.error?.code).toBe('agent_error')

    // A Flushed session takes a new prompt.
    const retried = await expectConformant<Session>(
      'update_session',
      await server.request(`/sessions/${flushed.body.id}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text_prompt: 'Again' }),
      }),
      { status: 200, via },
    )
    expect(retried.body.status).toBe('Flushed')

    server.held.hold()
    const waited = await expectConformant<Session>(
      'create_session_from_text',
      await server.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'held', text_prompt: 'Slow one' }),
      }),
      { status: 200, via },
    )
    expect(waited.body.status).toBe('Running')
    server.held.release()
    await server.shutdown(1000)
  })

  it('answers 413 to a regenerate or an edit on a session with no room for them', async () => {
    const server = await startInProcess({ maxSessionMessages: 2 })
    const { body } = await expectConformant<Session>(
      'create_session_from_text',
      await server.request('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Fill it' }),
      }),
      { status: 200, via },
    )
    const [question, reply] = body.messages
    const base = `/sessions/${body.id}/messages`
    await expectConformant(
      'regenerate_session_message',
      await server.request(`${base}/${reply?.id}/regenerate`, { method: 'POST' }),
      { status: 413, via },
    )
    await expectConformant(
      'edit_session_message',
      await server.request(`${base}/${question?.id}/edit`, {
        method: 'POST',
        body: sessionForm({ text_prompt: 'Otherwise' }),
      }),
      { status: 413, via },
    )
  })

  it('echoes a valid X-Request-Id and mints one for an unusable value', async () => {
    const { request } = await startInProcess()
    const echoed = await expectConformant(
      'get_health',
      await request('/health', { headers: { 'X-Request-Id': 'abc_DEF-123=' } }),
      { status: 200, via },
    )
    expect(echoed.headers.get('x-request-id')).toBe('abc_DEF-123=')
    const minted = await expectConformant(
      'get_health',
      await request('/health', { headers: { 'X-Request-Id': 'not valid!' } }),
      { status: 200, via },
    )
    expect(minted.headers.get('x-request-id')).not.toBe('not valid!')
  })
})
