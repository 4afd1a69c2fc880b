/**
 * Server conformance over a real socket: `bootServer` (SQLite in a temporary DATA_DIR, the echo
 * agent) served by @hono/node-server, driven with the global `fetch`.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import { defaultConfig } from '@uxmate/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectConformant } from '../src/conformance.ts'
import { type SocketServer, sessionForm, smallLimits, startOnSocket } from '../src/fixtures.ts'
import { runEveryOperation, type ScenarioTarget, settle } from '../src/scenario.ts'

const via = 'socket'
// The echo agent pauses this long between words, so a run started with respond-async is still
// going when the next request arrives (409).
const echoDelayMs = 60

let server: SocketServer
let receiver: Server

/** A webhook receiver that takes every delivery: `listen` on a free port of 127.0.0.1. */
async function listenFor(handle: Server): Promise<number> {
  await new Promise<void>((resolve) => handle.listen(0, '127.0.0.1', resolve))
  return (handle.address() as AddressInfo).port
}

beforeAll(async () => {
  // Two endpoints of the open mode's owner: one that takes every delivery, one where nothing
  // listens (its deliveries stay pending, their attempts failing), so that the deliveries
  // listed show every state of a delivery and an attempt.
  receiver = createServer((request, response) => {
    request.resume()
    request.on('end', () => response.writeHead(204).end())
  })
  const up = await listenFor(receiver)
  const closed = createServer()
  const down = await listenFor(closed)
  await new Promise((resolve) => closed.close(resolve))
  const secret = () => `whsec_${randomBytes(24).toString('base64')}`
  const file = join(tmpdir(), `uxmate-contract-webhooks-${process.pid}.yaml`)
  await writeFile(
    file,
    [
      `- { id: up, owner: anonymous, url: 'http://127.0.0.1:${up}/hooks', secrets: [${secret()}] }`,
      `- { id: down, owner: anonymous, url: 'http://127.0.0.1:${down}/hooks', secrets: [${secret()}] }`,
    ].join('\n'),
  )
  server = await startOnSocket({
    echoDelayMs,
    webhooks: {
      ...defaultConfig.webhooks,
      file,
      pollMs: 20,
      retryBaseMs: 50,
      retryMaxMs: 60_000,
      allowPrivateAddresses: true,
    },
  })
})
afterAll(async () => {
  await server?.close()
  await new Promise((resolve) => receiver?.close(resolve))
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

  it('lists the deliveries of its webhooks, delivered and failing, a page at a time', async () => {
    interface Delivery {
      endpoint_id: string
      event_type: string
      state: string
      delivered_at?: string
      attempts: Array<{ error?: string; status_code?: number }>
    }
    const list = async (query: string) =>
      (
        await expectConformant<{ deliveries: Delivery[]; next_cursor?: string }>(
          'list_webhook_deliveries',
          await fetch(`${server.baseUrl}/webhooks/deliveries${query}`),
          { status: 200, via },
        )
      ).body
    // The scenario above created, renamed, cancelled and deleted sessions: events of each kind.
    await expect
      .poll(
        async () => {
          const { deliveries } = await list('?limit=50')
          const delivered = deliveries.some((d) => d.endpoint_id === 'up' && d.delivered_at)
          const failing = deliveries.some(
            (d) => d.endpoint_id === 'down' && d.state === 'pending' && d.attempts.length > 0,
          )
          return delivered && failing
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true)
    // Every page conforms, so every kind of event's payload does: the tree's steps of the
    // scenario forked a session and moved branches.
    const types = new Set<string>()
    let cursor: string | undefined
    do {
      const page = await list(
        `?limit=50${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      )
      for (const delivery of page.deliveries) types.add(delivery.event_type)
      cursor = page.next_cursor
    } while (cursor !== undefined)
    expect([...types]).toEqual(expect.arrayContaining(['session.forked', 'session.branch_changed']))
    const first = await list('?limit=1')
    expect(first.deliveries).toHaveLength(1)
    expect(first.next_cursor).toBeDefined()
    const second = await list(`?limit=1&cursor=${encodeURIComponent(first.next_cursor ?? '')}`)
    expect(second.deliveries).toHaveLength(1)
  })
})
