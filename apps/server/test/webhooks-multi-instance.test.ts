/**
 * Webhooks with two server processes on one PostgreSQL database: both poll the shared outbox
 * every few milliseconds, and each delivery is still sent once (claimed with `FOR UPDATE SKIP
 * LOCKED`), whichever instance wrote its event.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session, WebhookDelivery } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { newApiKey } from '../src/http/security/api-keys.ts'
import { type ChildServer, startChildServer } from './child-server.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'
import { sessionForm } from './test-app.ts'
import { newSecret, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

let postgres: TestPostgres
let dir: string
let receiver: WebhookReceiver
const servers: ChildServer[] = []
const secret = newSecret()
const { key, entry } = newApiKey('team-a')
const auth = { Authorization: `Bearer ${key}` }
const SESSIONS = 10

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-webhooks-pg-'))
  receiver = await startWebhookReceiver()
  // A receiver that takes its time: a second sender, were it let in, would have the chance.
  receiver.answer((response) => {
    setTimeout(() => response.writeHead(204).end(), 50)
  })
  await writeFile(join(dir, 'keys.json'), JSON.stringify([entry]))
  await writeFile(
    join(dir, 'webhooks.json'),
    JSON.stringify([{ id: 'main', owner: 'team-a', url: receiver.url, secrets: [secret] }]),
  )
  postgres = await startTestPostgres()
  const env = {
    DATABASE_URL: await postgres.newDatabase(),
    API_KEYS_FILE: join(dir, 'keys.json'),
    WEBHOOKS_FILE: join(dir, 'webhooks.json'),
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
    WEBHOOK_POLL_MS: '10',
  }
  servers.push(
    ...(await Promise.all([
      startChildServer({ env, entry: 'fresh' }),
      startChildServer({ env, entry: 'fresh' }),
    ])),
  )
}, 120_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop('SIGKILL')))
  await postgres?.stop()
  await receiver?.close()
  await rm(dir, { recursive: true, force: true })
}, 60_000)

describe('webhooks on two instances (PostgreSQL)', () => {
  it('delivers each event once, whichever instance wrote it', async () => {
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const server = servers[i % servers.length] as ChildServer
        const response = await fetch(`${server.baseUrl}/sessions/text`, {
          method: 'POST',
          headers: auth,
          body: sessionForm({ agent_id: 'echo', text_prompt: `Session ${i}` }),
        })
        expect(response.status).toBe(200)
        return (await response.json()) as Session
      }),
    )
    const expected = SESSIONS * 2
    const [a, b] = servers as [ChildServer, ChildServer]
    await vi.waitFor(
      async () => {
        const response = await fetch(`${b.baseUrl}/webhooks/deliveries?limit=100`, {
          headers: auth,
        })
        const { deliveries } = (await response.json()) as { deliveries: WebhookDelivery[] }
        expect(deliveries).toHaveLength(expected)
        expect(deliveries.every((d) => d.state === 'delivered')).toBe(true)
      },
      { timeout: 60_000, interval: 100 },
    )
    // Both instances keep polling: a while longer, nothing is sent again.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']))
    expect(ids).toHaveLength(expected)
    expect(new Set(ids).size).toBe(expected)
    const events = receiver.received.map((r) => r.verified(secret))
    expect(new Set(events.map((event) => event.data.session.id))).toEqual(
      new Set(sessions.map((session) => session.id)),
    )
    // Each listed once, with one attempt, on either instance.
    const response = await fetch(`${a.baseUrl}/webhooks/deliveries?limit=100`, { headers: auth })
    const { deliveries } = (await response.json()) as { deliveries: WebhookDelivery[] }
    expect(deliveries.map((d) => d.attempts.length)).toEqual(Array(expected).fill(1))
  }, 120_000)
})
