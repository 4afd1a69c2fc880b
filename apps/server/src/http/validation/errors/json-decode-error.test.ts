import { describe, expect, it } from 'vitest'
import { describeJsonError, describeUtf8Error } from './json-decode-error.ts'

describe('describeJsonError', () => {
  // Ground truth: CPython's json.loads on the same texts (msg, pos).
  it.each([
    ['{"text_prompt": }', 'Expecting value', 16],
    ['{"text_prompt": "hi",}', 'Expecting property name enclosed in double quotes', 21],
    ['', 'Expecting value', 0],
    ['   ', 'Expecting value', 3],
    ['[1,]', 'Expecting value', 3],
    ['{"a" 1}', "Expecting ':' delimiter", 5],
    ['{"a":1 "b":2}', "Expecting ',' delimiter", 7],
    ['{"a":"\\x"}', 'Invalid \\escape', 6],
    ['{"a":"\\u12"}', 'Invalid \\uXXXX escape', 7],
    ['{"a":"\\u12zz"}', 'Invalid \\uXXXX escape', 7],
    ['{"a":"b', 'Unterminated string starting at', 5],
    ['"abc\\', 'Unterminated string starting at', 0],
    ['"\u0001"', 'Invalid control character at', 1],
    ['[1] x', 'Extra data', 4],
    ['nul', 'Expecting value', 0],
    ['01', 'Extra data', 1],
    ['-', 'Expecting value', 0],
    ['1.', 'Extra data', 1],
    ['[', 'Expecting value', 1],
    ['{', 'Expecting property name enclosed in double quotes', 1],
    ['{"a":1', "Expecting ',' delimiter", 6],
    ['[1 2]', "Expecting ',' delimiter", 3],
    ['{"é": }', 'Expecting value', 6],
    // Python counts code points: the emoji is one character, not two UTF-16 units.
    ['{"😀": }', 'Expecting value', 6],
  ])('%j → %s at %i', (text, message, position) => {
    expect(() => JSON.parse(text)).toThrow()
    expect(describeJsonError(text)).toEqual({ message, position })
  })

  it('reports NaN, which Python accepts and JSON does not, as a missing value', () => {
    expect(describeJsonError('{"a": NaN}')).toEqual({ message: 'Expecting value', position: 6 })
  })

  it('survives deep nesting without recursion', () => {
    expect(describeJsonError('['.repeat(200_000))).toEqual({
      message: 'Expecting value',
      position: 200_000,
    })
  })
})

describe('describeUtf8Error', () => {
  const bytes = (...values: number[]) => new Uint8Array(values)

  it('accepts valid UTF-8', () => {
    expect(describeUtf8Error(new TextEncoder().encode('aé€😀'))).toBeUndefined()
  })

  it('names a cut-off sequence by its byte range', () => {
    expect(describeUtf8Error(bytes(0xe2, 0x82))).toEqual({
      message: "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data",
      position: 0,
    })
    expect(describeUtf8Error(bytes(0x61, 0xe2))?.message).toBe(
      "'utf-8' codec can't decode byte 0xe2 in position 1: unexpected end of data",
    )
  })

  it.each([
    [bytes(0x61, 0xff), 'invalid start byte', 1, 1, 'ff'],
    [bytes(0x61, 0xc3, 0x28), 'invalid continuation byte', 1, 1, 'c3'],
    [bytes(0xed, 0xa0, 0x80), 'invalid continuation byte', 0, 0, 'ed'],
    [bytes(0xc3, 0xa9, 0xc0, 0x80), 'invalid start byte', 2, 1, 'c0'],
  ])('%o: %s', (input, reason, bytePosition, position, hex) => {
    expect(describeUtf8Error(input)).toEqual({
      message: `'utf-8' codec can't decode byte 0x${hex} in position ${bytePosition}: ${reason}`,
      position,
    })
  })
})
