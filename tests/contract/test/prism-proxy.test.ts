/**
 * An independent referee: Stoplight Prism's proxy, in front of the real server over a socket,
 * checks every request and response of a scripted run of every operation against openapi.yaml
 * and reports each mismatch in an `sl-violations` header, which must never appear.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { type SocketServer, sessionForm, smallLimits, startOnSocket } from '../src/fixtures.ts'
import { type PrismProxy, startPrismProxy } from '../src/prism.ts'
import { runEveryOperation, type ScenarioTarget, settle } from '../src/scenario.ts'

const via = 'prism'

/**
 * An upstream that answers every request with a `/health` body openapi.yaml does not allow: to
 * prove that Prism does report what is wrong.
 */
async function startLyingUpstream() {
  let listening!: ReturnType<typeof serve>
  const { port } = await new Promise<AddressInfo>((resolve) => {
    listening = serve(
      {
        hostname: '127.0.0.1',
        port: 0,
        fetch: () => Response.json({ status: 'fine' }, { headers: { 'X-Request-Id': 'lying' } }),
      },
      resolve,
    )
  })
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => listening.close(() => resolve())),
  }
}

describe('Prism proxy in front of an upstream that breaks the spec', () => {
  let upstream: Awaited<ReturnType<typeof startLyingUpstream>>
  let prism: PrismProxy
  beforeAll(async () => {
    upstream = await startLyingUpstream()
    prism = await startPrismProxy(upstream.baseUrl)
  }, 60_000)
  afterAll(async () => {
    await prism?.stop()
    await upstream?.close()
  })

  it('reports the violation (the referee is awake)', async () => {
    const response = await fetch(`${prism.baseUrl}/health`, { signal: AbortSignal.timeout(10_000) })
    await response.arrayBuffer()
    expect(response.headers.get('sl-violations')).toMatch(/status/)
  })
})

describe('Prism proxy in front of the server', () => {
  let server: SocketServer
  let prism: PrismProxy
  beforeAll(async () => {
    server = await startOnSocket({ echoDelayMs: 60 })
    prism = await startPrismProxy(server.baseUrl)
  }, 60_000)
  afterAll(async () => {
    await prism?.stop()
    await server?.close()
  })

  it('finds no violation in a run of every operation with valid requests', async () => {
    const violations: string[] = []
    const send = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${prism.baseUrl}${path}`, {
        ...init,
        signal: AbortSignal.timeout(10_000),
      })
      const found = response.headers.get('sl-violations')
      if (found) violations.push(`${init?.method ?? 'GET'} ${path} -> ${response.status}: ${found}`)
      return response
    }
    const target: ScenarioTarget = {
      via,
      validOnly: true,
      limits: smallLimits,
      send,
      // Uploads go straight to the server (Prism 5 cannot validate repeated parts, see
      // ScenarioTarget); the file is then downloaded, and everything else sent, through Prism.
      sendWithFiles: (path, init) => fetch(`${server.baseUrl}${path}`, init),
      async startBusySession() {
        const { body } = await expectConformant<Session>(
          'create_session_from_text',
          await send('/sessions/text', {
            method: 'POST',
            headers: { Prefer: 'respond-async' },
            body: sessionForm({ agent_id: 'echo', text_prompt: 'Take your time with this one' }),
          }),
          { status: 202, via },
        )
        return { sessionId: body.id, finish: async () => void (await settle(target, body.id)) }
      },
      shutdown: () => server.server.shutdown(0),
    }
    try {
      await runEveryOperation(target)
    } finally {
      expect(violations, `Prism reported violations; its output:\n${prism.output()}`).toEqual([])
    }
  })
})
