/**
 * Webhooks survive a crash: the server, as its own process on SQLite, is killed (SIGKILL) while
 * its deliveries are under way at an endpoint that does not answer; started again on the same
 * data, it delivers every one of them, signed, none lost, each attempt cut off by the kill
 * listed as abandoned.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session, WebhookDelivery } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ChildServer, startChildServer } from './child-server.ts'
import { sessionForm } from './test-app.ts'
import { newSecret, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

let dir: string
let receiver: WebhookReceiver
let env: Record<string, string>
const servers: ChildServer[] = []
const secret = newSecret()
const SESSIONS = 4

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-webhooks-restart-'))
  receiver = await startWebhookReceiver()
  const webhooksFile = join(dir, 'webhooks.json')
  await writeFile(
    webhooksFile,
    JSON.stringify([{ id: 'main', owner: 'anonymous', url: receiver.url, secrets: [secret] }]),
  )
  env = {
    DATA_DIR: join(dir, 'data'),
    WEBHOOKS_FILE: webhooksFile,
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_CONCURRENCY: '20',
    // Far longer than the test: the first attempts are cut off by the kill, not a timeout.
    WEBHOOK_TIMEOUT_MS: '600000',
  }
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')))
  await receiver?.close()
  await rm(dir, { recursive: true, force: true })
}, 60_000)

async function start() {
  const server = await startChildServer({ env, entry: 'fresh' })
  servers.push(server)
  return server
}

describe('webhooks across a crash', () => {
  it('delivers after a restart every event whose delivery the kill cut off', async () => {
    // Holds every request open: the deliveries are under way when the server dies.
    receiver.answer(() => {})
    const first = await start()
    const sessions: Session[] = []
    for (let i = 0; i < SESSIONS; i++) {
      const response = await fetch(`${first.baseUrl}/sessions/text`, {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: `Session ${i}` }),
      })
      expect(response.status).toBe(200)
      sessions.push((await response.json()) as Session)
    }
    // Each session: session.created and run.completed.
    const expected = SESSIONS * 2
    await vi.waitFor(() => expect(receiver.received.length).toBe(expected), {
      timeout: 30_000,
      interval: 20,
    })
    const cutOff = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])))
    expect(cutOff.size).toBe(expected)
    await first.stop('SIGKILL')

    receiver.answer((response) => response.writeHead(204).end())
    const second = await start()
    await vi.waitFor(
      async () => {
        const response = await fetch(`${second.baseUrl}/webhooks/deliveries?limit=100`)
        const { deliveries } = (await response.json()) as { deliveries: WebhookDelivery[] }
        expect(deliveries).toHaveLength(expected)
        expect(deliveries.every((d) => d.state === 'delivered')).toBe(true)
      },
      { timeout: 60_000, interval: 100 },
    )
    const redelivered = receiver.received.slice(expected)
    // The same ids again, each once, every one verified with the endpoint's secret.
    expect(redelivered.map((r) => String(r.headers['webhook-id'])).sort()).toEqual(
      [...cutOff].sort(),
    )
    const events = redelivered.map((r) => r.verified(secret))
    for (const session of sessions)
      expect(
        events
          .filter((event) => event.data.session.id === session.id)
          .map((event) => event.type)
          .sort(),
      ).toEqual(['run.completed', 'session.created'])
    const response = await fetch(`${second.baseUrl}/webhooks/deliveries?limit=100`)
    const { deliveries } = (await response.json()) as { deliveries: WebhookDelivery[] }
    for (const delivery of deliveries)
      expect(delivery.attempts.map((a) => a.error ?? a.status_code)).toEqual([
        'No outcome recorded: the instance sending it stopped or lost its claim',
        204,
      ])
    expect(second.output()).toContain('webhook deliveries cut off by a restart are due again')
  }, 150_000)
})
