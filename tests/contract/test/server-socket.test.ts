/**
 * Server conformance over a real socket: `bootServer` (SQLite in a temporary DATA_DIR, the echo
 * agent) served by @hono/node-server, driven with the global `fetch`.
 */
import type { Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { type SocketServer, sessionForm, smallLimits, startOnSocket } from '../src/fixtures.ts'
import { runEveryOperation, type ScenarioTarget, settle } from '../src/scenario.ts'

const via = 'socket'
// The echo agent pauses this long between words, so a run started with respond-async is still
// going when the next request arrives (409).
const echoDelayMs = 60

let server: SocketServer

beforeAll(async () => {
  server = await startOnSocket({ echoDelayMs })
})
afterAll(async () => {
  await server?.close()
})

describe('the server over a socket, against openapi.yaml', () => {
  it('answers every operation with every documented status, each conforming', async () => {
    const target: ScenarioTarget = {
      via,
      limits: smallLimits,
      send: (path, init) => fetch(`${server.baseUrl}${path}`, init),
      async startBusySession() {
        const { body } = await expectConformant<Session>(
          'create_session_from_text',
          await fetch(`${server.baseUrl}/sessions/text`, {
            method: 'POST',
            headers: { Prefer: 'respond-async' },
            body: sessionForm({ agent_id: 'echo', text_prompt: 'Take your time with this one' }),
          }),
          { status: 202, via },
        )
        expect(body.status).toBe('Running')
        return { sessionId: body.id, finish: async () => void (await settle(target, body.id)) }
      },
      shutdown: () => server.server.shutdown(0),
    }
    await runEveryOperation(target)
  })
})
