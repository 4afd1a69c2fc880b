import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canonicalJson, requestFingerprint } from './fingerprint.ts'

const file = (content: string, name = 'a.txt', contentType = 'text/plain') => ({
  name,
  contentType,
  chunks: [new TextEncoder().encode(content)],
  size: content.length,
  sha256: `sha-of-${content}`,
})

describe('requestFingerprint', () => {
  it('is what it was before queries counted for a request without one', () => {
    const request = { method: 'PUT', path: '/sessions/x', body: { text_prompt: 'Hi' } }
    const before = createHash('sha256')
      .update(canonicalJson(['PUT', '/sessions/x', { text_prompt: 'Hi' }]))
      .digest('hex')
    expect(requestFingerprint(request)).toBe(before)
    expect(requestFingerprint({ ...request, query: {} })).toBe(before)
  })

  it('is the same for the same request, whatever the order of object keys', () => {
    const a = { method: 'put', path: '/sessions/x', body: { b: 1, a: { d: [1, 2], c: null } } }
    const b = { method: 'PUT', path: '/sessions/x', body: { a: { c: null, d: [1, 2] }, b: 1 } }
    expect(requestFingerprint(a)).toBe(requestFingerprint(b))
    expect(requestFingerprint(a)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('differs as soon as the method, the path or any part of the body differs', () => {
    const base = { method: 'PUT', path: '/sessions/x', body: { text_prompt: 'Hi', list: [1, 2] } }
    const variants = [
      { ...base, method: 'PATCH' },
      { ...base, path: '/sessions/y' },
      { ...base, body: { text_prompt: 'Hi ', list: [1, 2] } },
      { ...base, body: { text_prompt: 'Hi', list: [2, 1] } },
      { ...base, body: { text_prompt: 'Hi', list: [1, 2], extra: true } },
      { ...base, body: undefined },
      { ...base, query: { on_busy: ['enqueue'] } },
      { ...base, query: { on_busy: ['interrupt'] } },
    ]
    const prints = new Set([base, ...variants].map(requestFingerprint))
    expect(prints.size).toBe(variants.length + 1)
  })

  it('describes a file by its hash, name and type, not its bytes', () => {
    const form = (files: ReturnType<typeof file>[]) => ({
      method: 'POST',
      path: '/sessions/text',
      body: { agent_id: 'echo', text_prompt: 'Hi', files },
    })
    expect(canonicalJson(file('abc'))).toBe(
      '{"content_type":"text/plain","name":"a.txt","sha256":"sha-of-abc"}',
    )
    const same = requestFingerprint(form([file('abc')]))
    expect(requestFingerprint(form([file('abc')]))).toBe(same)
    for (const other of [
      [file('abd')],
      [file('abc', 'b.txt')],
      [file('abc', 'a.txt', 'text/csv')],
      [file('abc'), file('abc')],
      [],
    ])
      expect(requestFingerprint(form(other))).not.toBe(same)
  })
})
