/**
 * Webhooks on SQLite, in process: each event of a session and its runs delivered to the owner's
 * endpoints, signed per Standard Webhooks (checked with the standardwebhooks library, with
 * every secret of a rotation), retried after failing answers, redirects and timeouts, every
 * attempt listed to the owner (and to no one else); a dead endpoint slows no run; private
 * addresses refused unless allowed.
 */
import type { Session, WebhookDelivery } from '@uxmate/contract'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEchoAgent } from '../src/agents/echo-agent.ts'
import { defaultConfig } from '../src/config/config.ts'
import type { Agent } from '../src/domain/agent.ts'
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  type WebhookPayload,
} from '../src/domain/webhook-outbox.ts'
import { createHttpWebhookSender } from '../src/webhooks/http-sender.ts'
import { type WebhookEndpoint, webhookEndpoints } from '../src/webhooks/webhooks-file.ts'
import { createTestApp, sessionForm } from './test-app.ts'
import { newSecret, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts'

const receivers: WebhookReceiver[] = []
const apps: Array<{ shutdown(graceMs: number): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.shutdown(0)))
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

const KEYS = { 'key-a': 'team-a', 'key-b': 'team-b' }
const auth = (key = 'key-a') => ({ Authorization: `Bearer ${key}` })

function endpoint(
  id: string,
  url: string,
  secrets: string[],
  events?: WebhookEventType[],
): WebhookEndpoint {
  return {
    id,
    owner: 'team-a',
    url: new URL(url),
    signers: secrets.map((secret) => new Webhook(secret)),
    events: new Set(events ?? WEBHOOK_EVENT_TYPES),
  }
}

/** The app with team-a's endpoints; deliveries retried after 20 ms, then 40, ... */
async function appWith(
  list: WebhookEndpoint[],
  options: { agents?: Agent[]; timeoutMs?: number; allowPrivateAddresses?: boolean } = {},
) {
  const endpoints = webhookEndpoints(list)
  const webhooks = {
    ...defaultConfig.webhooks,
    pollMs: 20,
    retryBaseMs: 20,
    retryMaxMs: 200,
    timeoutMs: options.timeoutMs ?? 5_000,
    allowPrivateAddresses: options.allowPrivateAddresses ?? true,
  }
  const test = await createTestApp({
    apiKeys: KEYS,
    agents: options.agents,
    config: { webhooks },
    webhookTargets: endpoints,
    webhookSender: createHttpWebhookSender({ endpoints, ...webhooks }),
  })
  apps.push(test)
  return test
}

async function receiver() {
  const started = await startWebhookReceiver()
  receivers.push(started)
  return started
}

type App = Awaited<ReturnType<typeof appWith>>['app']

async function createSession(app: App, text: string, headers: Record<string, string> = {}) {
  const response = await app.request('/sessions/text', {
    method: 'POST',
    headers: { ...auth(), ...headers },
    body: sessionForm({ agent_id: 'echo', text_prompt: text }),
  })
  expect(response.status).toBeLessThan(300)
  return (await response.json()) as Session
}

async function deliveries(app: App, key = 'key-a', query = '') {
  const response = await app.request(`/webhooks/deliveries${query}`, { headers: auth(key) })
  expect(response.status).toBe(200)
  return (await response.json()) as { deliveries: WebhookDelivery[]; next_cursor?: string }
}

/** Waits until `count` requests arrived (the dispatcher works in the background). */
const arrived = (hooks: WebhookReceiver, count: number) =>
  vi.waitFor(() => expect(hooks.received.length).toBeGreaterThanOrEqual(count), {
    timeout: 10_000,
    interval: 10,
  })

describe('webhooks', () => {
  it('delivers every event of a session, signed, with its summary', async () => {
    const hooks = await receiver()
    const secret = newSecret()
    const { app } = await appWith([endpoint('main', hooks.url, [secret])])
    const session = await createSession(app, 'Plan a trip')
    expect(session.status).toBe('Ready')
    await arrived(hooks, 2)
    const renamed = await app.request(`/sessions/${session.id}`, {
      method: 'PATCH',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Lisbon in May' }),
    })
    expect(renamed.status).toBe(200)
    await arrived(hooks, 3)
    const deleted = await app.request(`/sessions/${session.id}`, {
      method: 'DELETE',
      headers: auth(),
    })
    expect(deleted.status).toBe(204)
    await arrived(hooks, 4)

    const events = hooks.received.map((request) => request.verified(secret))
    expect(events.map((event) => event.type)).toEqual([
      'session.created',
      'run.completed',
      'session.renamed',
      'session.deleted',
    ])
    for (const event of events) expect(event.data.session.id).toBe(session.id)
    const [created, completed, rename, gone] = events as WebhookPayload[]
    expect(created?.data.session).toMatchObject({
      agent_id: 'echo',
      name: 'Plan a trip',
      status: 'Running',
      error: null,
    })
    expect(completed?.data.session.status).toBe('Ready')
    expect(completed?.data.run).toMatchObject({
      status: 'Ready',
      error: null,
      reply_message_id: session.messages[1]?.id,
    })
    expect(rename?.data).toMatchObject({
      session: { name: 'Lisbon in May' },
      renamed_by: 'owner',
    })
    expect(gone?.data.session.name).toBe('Lisbon in May')
    // Standard Webhooks' headers: an id per delivery, a timestamp in seconds, JSON.
    const [first] = hooks.received
    expect(first?.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(first?.headers['webhook-timestamp']).toMatch(/^\d{10}$/)
    expect(first?.headers['content-type']).toBe('application/json')
    expect(new Set(hooks.received.map((r) => r.headers['webhook-id'])).size).toBe(4)
    // Another secret does not verify it.
    expect(() => first?.verified(newSecret())).toThrow()

    // The receiver has them; the attempts are recorded once their answers are in.
    await vi.waitFor(async () =>
      expect((await deliveries(app)).deliveries.every((d) => d.state === 'delivered')).toBe(true),
    )
    const page = await deliveries(app)
    expect(page.deliveries.map((d) => [d.event_type, d.state, d.attempts.length])).toEqual([
      ['session.deleted', 'delivered', 1],
      ['session.renamed', 'delivered', 1],
      ['run.completed', 'delivered', 1],
      ['session.created', 'delivered', 1],
    ])
    expect(page.deliveries[0]?.attempts[0]?.status_code).toBe(204)
    expect(page.deliveries[0]?.payload).toEqual(events[3])
    // Another owner sees none of them.
    expect((await deliveries(app, 'key-b')).deliveries).toEqual([])
  })

  it('tells of a fork and of each branch change (regenerate, edit, switch), not of a switch that moves nothing', async () => {
    const hooks = await receiver()
    const secret = newSecret()
    const { app } = await appWith([
      endpoint('tree', hooks.url, [secret], ['session.forked', 'session.branch_changed']),
    ])
    const session = await createSession(app, 'Plan a trip')
    const [question, reply] = session.messages
    const base = `/sessions/${session.id}/messages`
    const post = (path: string, body?: FormData) =>
      app.request(path, { method: 'POST', headers: auth(), ...(body && { body }) })
    expect((await post(`${base}/${reply?.id}/regenerate`)).status).toBe(200)
    const form = new FormData()
    form.append('text_prompt', 'Plan a hike')
    const edited = (await (await post(`${base}/${question?.id}/edit`, form)).json()) as Session
    expect((await post(`${base}/${reply?.id}/switch`)).status).toBe(200)
    // Already the active leaf: no change, no event.
    expect((await post(`${base}/${reply?.id}/switch`)).status).toBe(200)
    const forked = await post(`${base}/${reply?.id}/fork`)
    expect(forked.status).toBe(201)
    const fork = (await forked.json()) as Session
    await arrived(hooks, 4)
    await vi.waitFor(async () =>
      expect((await deliveries(app)).deliveries.every((d) => d.state === 'delivered')).toBe(true),
    )
    expect((await deliveries(app)).deliveries, 'nothing else').toHaveLength(4)

    const events = hooks.received.map((request) => request.verified(secret))
    const changes = events
      .filter((event) => event.type === 'session.branch_changed')
      .map((event) => ({ ...event.data.branch, session: event.data.session.id }))
    expect(changes).toHaveLength(3)
    expect(changes).toEqual(
      expect.arrayContaining([
        { leaf_id: question?.id, changed_by: 'regenerate', session: session.id },
        { leaf_id: edited.messages[0]?.id, changed_by: 'edit', session: session.id },
        { leaf_id: reply?.id, changed_by: 'switch', session: session.id },
      ]),
    )
    // A regenerate's or an edit's run has started: the session is Running in their events.
    const regenerate = events.find((event) => event.data.branch?.changed_by === 'regenerate')
    expect(regenerate?.data.session.status).toBe('Running')
    const forkedEvent = events.find((event) => event.type === 'session.forked')
    expect(forkedEvent?.data).toEqual({
      session: expect.objectContaining({ id: fork.id, name: session.name, status: 'Ready' }),
      forked_from: { session_id: session.id, message_id: reply?.id },
    })
  })

  it('signs with every secret during a rotation, and sends each endpoint only its events', async () => {
    const hooks = await receiver()
    const runs = await receiver()
    const [old, next] = [newSecret(), newSecret()]
    const { app } = await appWith([
      endpoint('rotating', hooks.url, [old, next], ['session.created']),
      endpoint('runs', runs.url, [newSecret()], ['run.completed']),
    ])
    await createSession(app, 'Hello')
    await arrived(hooks, 1)
    await arrived(runs, 1)
    const [request] = hooks.received
    expect(String(request?.headers['webhook-signature']).split(' ')).toHaveLength(2)
    // A receiver with either secret accepts it.
    expect(request?.verified(old).type).toBe('session.created')
    expect(request?.verified(next).type).toBe('session.created')
    expect(runs.received.map((r) => JSON.parse(r.body).type)).toEqual(['run.completed'])
    await vi.waitFor(async () => expect((await deliveries(app)).deliveries).toHaveLength(2))
    const page = await deliveries(app)
    expect(page.deliveries.map((d) => d.endpoint_id).sort()).toEqual(['rotating', 'runs'])
  })

  it('retries a failing receiver with the same id until it answers 2xx, every attempt listed', async () => {
    const hooks = await receiver()
    const secret = newSecret()
    let answers = 0
    hooks.answer((response) => {
      answers += 1
      if (answers === 1) response.writeHead(503).end('busy')
      else if (answers === 2) response.writeHead(302, { Location: 'http://127.0.0.1:1/' }).end()
      else response.writeHead(200).end('ok')
    })
    const { app } = await appWith([endpoint('main', hooks.url, [secret], ['session.created'])])
    await createSession(app, 'Retry me')
    await arrived(hooks, 3)
    const ids = hooks.received.map((request) => request.headers['webhook-id'])
    expect(new Set(ids).size).toBe(1)
    for (const request of hooks.received)
      expect(request.verified(secret).type).toBe('session.created')
    await vi.waitFor(async () => {
      const [delivery] = (await deliveries(app)).deliveries
      expect(delivery?.state).toBe('delivered')
    })
    const [delivery] = (await deliveries(app)).deliveries
    // The redirect was not followed: a failed attempt like the 503.
    expect(delivery?.attempts.map((a) => a.status_code)).toEqual([503, 302, 200])
    expect(delivery?.delivered_at).toBeDefined()
    expect(delivery?.next_attempt_at).toBeUndefined()
    expect(hooks.received).toHaveLength(3)
  })

  it('cuts off an endpoint that does not answer in time; the run is not held up', async () => {
    const hooks = await receiver()
    // Never answers.
    hooks.answer(() => {})
    const { app } = await appWith([endpoint('dead', hooks.url, [newSecret()])], {
      timeoutMs: 200,
    })
    const session = await createSession(app, 'Still answered')
    // Waited for its run: the reply is there though no webhook was delivered.
    expect(session.status).toBe('Ready')
    expect(session.messages).toHaveLength(2)
    await vi.waitFor(
      async () => {
        const all = (await deliveries(app)).deliveries
        expect(all.every((d) => d.state === 'pending' && d.attempts[0]?.error)).toBe(true)
        expect(all).toHaveLength(2)
      },
      { timeout: 10_000, interval: 20 },
    )
    const [delivery] = (await deliveries(app)).deliveries
    expect(delivery?.attempts[0]?.error).toBe('No answer within 200 ms')
    expect(delivery?.attempts[0]?.status_code).toBeUndefined()
  })

  it('tells of failed and cancelled runs', async () => {
    const hooks = await receiver()
    const failing: Agent = {
      profile: { ...createEchoAgent({ delayMs: 0 }).profile, id: 'failing' },
      // biome-ignore lint/correctness/useYield: it fails before its first chunk.
      async *reply() {
        throw new Error('model down')
      },
    }
    const slow = createEchoAgent({ delayMs: 60_000 })
    const { app } = await appWith(
      [endpoint('main', hooks.url, [newSecret()], ['run.failed', 'run.cancelled'])],
      {
        agents: [slow, failing],
      },
    )
    const failed = await app.request('/sessions/text', {
      method: 'POST',
      headers: auth(),
      body: sessionForm({ agent_id: 'failing', text_prompt: 'Fail' }),
    })
    expect(((await failed.json()) as Session).status).toBe('Flushed')
    const running = await createSession(app, 'Cancel me', { Prefer: 'respond-async' })
    const cancelled = await app.request(`/sessions/${running.id}/cancel`, {
      method: 'POST',
      headers: auth(),
    })
    expect(cancelled.status).toBe(200)
    await arrived(hooks, 2)
    const events = hooks.received.map((request) => JSON.parse(request.body) as WebhookPayload)
    expect(events.map((event) => [event.type, event.data.run?.error?.code])).toEqual([
      ['run.failed', 'agent_error'],
      ['run.cancelled', 'cancelled'],
    ])
  })

  it('pages the deliveries with a cursor, and refuses one it did not make', async () => {
    const hooks = await receiver()
    const { app } = await appWith([endpoint('main', hooks.url, [newSecret()], ['session.created'])])
    for (const text of ['One', 'Two', 'Three'])
      await createSession(app, text, { Prefer: 'respond-async' })
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await deliveries(app, 'key-a', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.deliveries.length).toBeLessThanOrEqual(2)
      seen.push(...page.deliveries.map((d) => d.payload.data.session.name))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(['Three', 'Two', 'One'])
    const bad = await app.request('/webhooks/deliveries?cursor=nonsense', { headers: auth() })
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as { detail: Array<{ loc: string[] }> }).detail[0]?.loc).toEqual([
      'query',
      'cursor',
    ])
    const tooMany = await app.request('/webhooks/deliveries?limit=101', { headers: auth() })
    expect(tooMany.status).toBe(422)
    const most = await app.request('/webhooks/deliveries?limit=100', { headers: auth() })
    expect(most.status).toBe(200)
  })

  it('refuses loopback and private addresses unless allowed', async () => {
    const hooks = await receiver()
    const { app } = await appWith(
      [endpoint('inside', hooks.url, [newSecret()], ['session.created'])],
      {
        allowPrivateAddresses: false,
      },
    )
    await createSession(app, 'Nothing leaves')
    await vi.waitFor(
      async () => {
        const [delivery] = (await deliveries(app)).deliveries
        expect(delivery?.attempts[0]?.error).toMatch(/not allowed.*private IP address/i)
      },
      { timeout: 10_000, interval: 20 },
    )
    expect(hooks.received).toEqual([])
    // A name that resolves to one is refused the same way.
    const sender = createHttpWebhookSender({
      endpoints: webhookEndpoints([
        endpoint('named', hooks.url.replace('127.0.0.1', 'localhost'), [newSecret()]),
      ]),
      timeoutMs: 5_000,
      allowPrivateAddresses: false,
    })
    const sent = await sender.send({
      endpointId: 'named',
      id: 'msg_1',
      body: '{}',
      timestamp: new Date(),
    })
    expect(sent.error).toMatch(/not allowed/i)
    expect(hooks.received).toEqual([])
  })
})
