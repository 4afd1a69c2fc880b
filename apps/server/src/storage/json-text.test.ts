import { describe, expect, it } from 'vitest'
import { jsonChars, jsonStringOrNull, jsonTime } from './json-text.ts'

describe('jsonChars', () => {
  it('writes what JSON.stringify writes between its quotes, escapes and all', () => {
    const texts = [
      '',
      'plain text',
      'quote " and backslash \\',
      'new\nline\ttab\rreturn\bback\fform',
      '\u0000\u0001\u001f\u007f',
      'é, 日本語, 🚀, \u2028\u2029',
      'lone \ud83d surrogate, \udc00 too',
      '</script>',
      // Escapes at either end: what is cut off around JSON.stringify's text is its quotes.
      '"',
      '\\',
      '\u0000',
      'ends in a backslash \\',
      '"starts with a quote',
      '\ud800',
      '\udfff',
      '\n🚀\u0000',
      '\u2028',
    ]
    for (let code = 0; code < 0x80; code++) texts.push(`a${String.fromCharCode(code)}b`)
    for (const text of texts) expect(`"${jsonChars(text)}"`).toBe(JSON.stringify(text))
    // Every UTF-16 code unit alone, surrogates included.
    const units = Array.from({ length: 0x10000 }, (_, code) => String.fromCharCode(code))
    expect(units.map((unit) => `"${jsonChars(unit)}"`)).toEqual(units.map((u) => JSON.stringify(u)))
    expect(jsonStringOrNull(null)).toBe('null')
    expect(jsonStringOrNull('x')).toBe('"x"')
  })
})

describe('jsonTime', () => {
  it('writes what JSON.stringify writes of the date, at the edges of days and of its range', () => {
    const instants = [
      0,
      1,
      999,
      1000,
      59_999,
      3_599_999,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 3, 6, 15, 0, 7),
      253_402_300_799_999,
      253_402_300_800_000,
      -1,
      -86_400_001,
      8.64e15,
      -8.64e15,
    ]
    // And a spread of instants over the years in between.
    for (let i = 0; i < 5000; i++) instants.push(Math.floor(((i * 7919) % 5000) * 5.07e10 + i * 37))
    for (const ms of instants) expect(jsonTime(ms)).toBe(JSON.stringify(new Date(ms)))
  })
})
