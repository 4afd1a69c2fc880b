import { describe, expect, it } from 'vitest'
import { entityTagOf, noneMatchHolds } from './conditional-answers.ts'

const tag = '"abc"'

describe('noneMatchHolds', () => {
  it('matches the tag itself, `*`, and any tag of a list, W/ or not', () => {
    expect(noneMatchHolds('"abc"', tag)).toBe(true)
    expect(noneMatchHolds(' * ', tag)).toBe(true)
    expect(noneMatchHolds('"x", "abc"', tag)).toBe(true)
    expect(noneMatchHolds('W/"abc"', tag)).toBe(true)
    expect(noneMatchHolds('"x",W/"abc" ,"y"', tag)).toBe(true)
    // Empty list elements are accepted (RFC 9110, section 5.6.1).
    expect(noneMatchHolds(', "x",, "abc",', tag)).toBe(true)
  })

  it('does not match other tags, nor a tag compared without its quotes', () => {
    expect(noneMatchHolds(undefined, tag)).toBe(false)
    expect(noneMatchHolds('"abd"', tag)).toBe(false)
    expect(noneMatchHolds('"x", W/"y"', tag)).toBe(false)
    expect(noneMatchHolds('"ABC"', tag)).toBe(false)
  })

  it('ignores a value that is not a list of entity tags', () => {
    for (const malformed of [
      '',
      'abc',
      '"abc',
      '"abc" "x"',
      'w/"abc"',
      '**',
      '*, "abc"',
      '"a"b", "abc"',
      `${'"x", '.repeat(2000)}"abc`,
    ])
      expect(noneMatchHolds(malformed, tag), malformed).toBe(false)
  })

  it('keeps a comma inside a tag, which the grammar allows', () => {
    expect(noneMatchHolds('"a,b"', '"a,b"')).toBe(true)
    expect(noneMatchHolds('"a,b"', '"a"')).toBe(false)
  })
})

describe('entityTagOf', () => {
  it('tags the same bytes alike and other bytes otherwise, quoted', () => {
    const one = entityTagOf(Buffer.from('{"a":1}'))
    expect(one).toMatch(/^"[0-9a-f]{16}"$/)
    expect(entityTagOf(Buffer.from('{"a":1}'))).toBe(one)
    expect(entityTagOf(Buffer.from('{"a":2}'))).not.toBe(one)
    expect(entityTagOf(Buffer.from('{}'))).toBe('"2e1472b57af294d1"')
  })

  it('changes with any one byte of an answer, its length and the order of its bytes', () => {
    const body = Buffer.from(JSON.stringify({ sessions: [{ id: 'a', name: 'Trip "é" 🚀', n: 1 }] }))
    const tags = new Set([entityTagOf(body)])
    for (let at = 0; at < body.length; at++)
      for (const flip of [1, 0x80]) {
        const changed = Buffer.from(body)
        changed[at] = (changed[at] as number) ^ flip
        tags.add(entityTagOf(changed))
      }
    for (let length = 0; length < body.length; length++)
      tags.add(entityTagOf(body.subarray(0, length)))
    tags.add(entityTagOf(Buffer.from(body).reverse()))
    expect(tags.size).toBe(1 + 2 * body.length + body.length + 1)
  })
})
