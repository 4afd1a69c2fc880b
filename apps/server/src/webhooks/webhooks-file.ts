import { readFileSync } from 'node:fs'
import { Webhook } from 'standardwebhooks'
import { parse } from 'yaml'
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../domain/webhook-outbox.ts'
import type { WebhookTargets } from '../domain/webhooks.ts'

/** An endpoint of `WEBHOOKS_FILE`: whose events go where, signed with which secrets. */
export interface WebhookEndpoint {
  /** Named in deliveries; unique in the file. */
  id: string
  owner: string
  url: URL
  /** Every secret signs each request (a rotation: the new one beside the old). */
  signers: Webhook[]
  /** The events it wants; every event when the entry lists none. */
  events: ReadonlySet<WebhookEventType>
}

/** The endpoints by id, and which want what. */
export interface WebhookEndpoints extends WebhookTargets {
  get(id: string): WebhookEndpoint | undefined
  readonly size: number
}

const ID_PATTERN = /^[\w.-]{1,64}$/
const OWNER_PATTERN = /^[\w.@-]{1,128}$/
/** Standard Webhooks: `whsec_` and the base64 of 24 to 64 random bytes. */
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/

interface RawEntry {
  id?: unknown
  owner?: unknown
  url?: unknown
  secrets?: unknown
  events?: unknown
}

function parseEntry(entry: RawEntry, where: string): WebhookEndpoint {
  if (typeof entry?.id !== 'string' || !ID_PATTERN.test(entry.id))
    throw new Error(`${where}: id must be 1-64 letters, digits, '_', '.' or '-'`)
  const named = `${where} (${entry.id})`
  if (typeof entry.owner !== 'string' || !OWNER_PATTERN.test(entry.owner))
    throw new Error(`${named}: owner must be 1-128 letters, digits, '_', '.', '@' or '-'`)
  const url = typeof entry.url === 'string' && URL.canParse(entry.url) ? new URL(entry.url) : null
  if (!url || !['http:', 'https:'].includes(url.protocol))
    throw new Error(`${named}: url must be an http:// or https:// URL`)
  if (!Array.isArray(entry.secrets) || entry.secrets.length === 0)
    throw new Error(`${named}: secrets must be a non-empty list of whsec_ secrets`)
  const signers = entry.secrets.map((secret: unknown, index) => {
    const bytes =
      typeof secret === 'string' && SECRET_PATTERN.test(secret)
        ? Buffer.from(secret.slice('whsec_'.length), 'base64').length
        : 0
    if (bytes < 24 || bytes > 64)
      throw new Error(
        `${named}: secret ${index + 1} must be whsec_ and the base64 of 24 to 64 random bytes`,
      )
    return new Webhook(secret as string)
  })
  const events = entry.events ?? [...WEBHOOK_EVENT_TYPES]
  if (
    !Array.isArray(events) ||
    events.length === 0 ||
    !events.every((event) => WEBHOOK_EVENT_TYPES.includes(event))
  )
    throw new Error(
      `${named}: events must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
    )
  return { id: entry.id, owner: entry.owner, url, signers, events: new Set(events) }
}

/**
 * Reads `WEBHOOKS_FILE` (YAML or JSON): a list of `{ id, owner, url, secrets, events? }`.
 * Throws with the bad entry named, so that a typo stops the server at start.
 *
 * @example
 * ```ts
 * const endpoints = loadWebhooksFile('/etc/uxmate/webhooks.yaml')
 * endpoints.endpointsFor('team-a', 'run.completed') // ['billing']
 * ```
 */
export function loadWebhooksFile(path: string): WebhookEndpoints {
  const entries: unknown = parse(readFileSync(path, 'utf8'))
  if (!Array.isArray(entries))
    throw new Error(`${path}: expected a list of { id, owner, url, secrets, events? } entries`)
  return webhookEndpoints(
    entries.map((entry, index) => parseEntry(entry, `${path}: entry ${index + 1}`)),
  )
}

/**
 * The endpoints, looked up by id and by owner and event.
 *
 * @example
 * ```ts
 * webhookEndpoints([]).endpointsFor('team-a', 'session.created') // []
 * ```
 */
export function webhookEndpoints(list: readonly WebhookEndpoint[]): WebhookEndpoints {
  const byId = new Map<string, WebhookEndpoint>()
  for (const endpoint of list) {
    if (byId.has(endpoint.id)) throw new Error(`duplicate webhook endpoint id '${endpoint.id}'`)
    byId.set(endpoint.id, endpoint)
  }
  const byOwner = new Map<string, WebhookEndpoint[]>()
  for (const endpoint of list)
    byOwner.set(endpoint.owner, [...(byOwner.get(endpoint.owner) ?? []), endpoint])
  return {
    size: byId.size,
    get: (id) => byId.get(id),
    endpointsFor: (owner, type) =>
      (byOwner.get(owner) ?? [])
        .filter((endpoint) => endpoint.events.has(type))
        .map((endpoint) => endpoint.id),
  }
}
