import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadWebhooksFile } from './webhooks-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'uxmate-webhooks-file-'))
/** 24 and 64 bytes: the shortest and longest secrets allowed. */
const short = `whsec_${Buffer.alloc(24, 1).toString('base64')}`
const long = `whsec_${Buffer.alloc(64, 2).toString('base64')}`

function file(content: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(path, content)
  return path
}

const entry = (fields: Record<string, unknown>) =>
  JSON.stringify([
    {
      id: 'main',
      owner: 'team-a',
      url: 'https://hooks.example.com/x',
      secrets: [short],
      ...fields,
    },
  ])

describe('loadWebhooksFile', () => {
  it('reads the endpoints, each with its events, every event when none are listed', () => {
    const endpoints = loadWebhooksFile(
      file(`
- id: billing
  owner: team-a
  url: https://hooks.example.com/billing
  secrets: [${short}, ${long}]
  events: [run.completed]
- id: all
  owner: team-a
  url: http://10.0.0.5:8080/hooks
  secrets: [${short}]
- id: other
  owner: team-b
  url: https://b.example.com/
  secrets: [${short}]
`),
    )
    expect(endpoints.size).toBe(3)
    expect(endpoints.endpointsFor('team-a', 'run.completed')).toEqual(['billing', 'all'])
    expect(endpoints.endpointsFor('team-a', 'session.deleted')).toEqual(['all'])
    expect(endpoints.endpointsFor('nobody', 'run.completed')).toEqual([])
    expect(endpoints.get('billing')?.signers).toHaveLength(2)
    expect(endpoints.get('billing')?.url.href).toBe('https://hooks.example.com/billing')
  })

  it('refuses a bad entry, naming it', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ id: 'a b' }, /entry 1: id must be/],
      [{ owner: '' }, /entry 1 \(main\): owner must be/],
      [{ url: 'ftp://x.example.com/' }, /url must be an http/],
      [{ url: 'not a url' }, /url must be an http/],
      [{ secrets: [] }, /secrets must be a non-empty list/],
      [{ secrets: ['plain'] }, /secret 1 must be whsec_/],
      [{ secrets: [`whsec_${Buffer.alloc(23).toString('base64')}`] }, /secret 1 must be whsec_/],
      [{ secrets: [long, `whsec_${Buffer.alloc(65).toString('base64')}`] }, /secret 2 must be/],
      [{ events: ['run.started'] }, /events must be a non-empty list of run.completed/],
      [{ events: [] }, /events must be a non-empty list/],
    ]
    for (const [fields, message] of cases)
      expect(() => loadWebhooksFile(file(entry(fields))), JSON.stringify(fields)).toThrow(message)
    expect(() => loadWebhooksFile(file('{}'))).toThrow(/expected a list/)
    const twice = JSON.parse(entry({})) as unknown[]
    expect(() => loadWebhooksFile(file(JSON.stringify([...twice, ...twice])))).toThrow(
      /duplicate webhook endpoint id 'main'/,
    )
  })
})
