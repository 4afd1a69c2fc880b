import { describe, expect, it } from 'vitest'
import { FileBytes } from './file-bytes.ts'

const bytesOf = (text: string) => new TextEncoder().encode(text)
const textOf = (data: Uint8Array) => new TextDecoder().decode(data)

function collect(chunks: string[], expected: number | undefined, max = 1 << 20) {
  const file = new FileBytes(expected, max)
  for (const chunk of chunks) file.append(bytesOf(chunk))
  return file
}

describe('FileBytes', () => {
  it('ends in a buffer of the expected size, with no copy at the end', () => {
    const file = collect(['ab', 'cd', 'ef'], 6)
    const data = file.take()
    expect(textOf(data)).toBe('abcdef')
    expect(data.buffer.byteLength).toBe(6)
    expect(file.size).toBe(6)
  })

  it('grows past an expectation that was too low, and without one', () => {
    const chunk = 'x'.repeat(10_000)
    for (const expected of [3, undefined]) {
      const data = collect([chunk, chunk, chunk, 'y'], expected).take()
      expect(data.byteLength).toBe(30_001)
      expect(textOf(data)).toBe(`${chunk}${chunk}${chunk}y`)
    }
  })

  it('grows with the bytes that arrive, never with what is announced', () => {
    const announced = new FileBytes(10_000_000, 20_000_000)
    announced.append(bytesOf('ab'))
    expect(announced.take().buffer.byteLength).toBeLessThanOrEqual(64 * 1024)
  })

  it('gives back a buffer of the exact size when much of it went unused', () => {
    const chunk = 'q'.repeat(65_536)
    const data = collect([chunk, chunk, 'r'], 1_000_000).take()
    expect(data.byteLength).toBe(131_073)
    expect(textOf(data.subarray(131_071))).toBe('qr')
    expect(data.buffer.byteLength).toBe(131_073)
    // A little room left is kept: only zeros, never other data.
    const near = collect(['small'], 100).take()
    expect(near.byteLength).toBe(5)
    expect([...new Uint8Array(near.buffer, 5)]).toEqual(new Array(95).fill(0))
  })

  it('never holds more than maxBytes', () => {
    const file = collect(['abcdef', 'ghij'], undefined, 8)
    expect(textOf(file.take())).toBe('abcdefgh')
    expect(collect(['abcdef'], 1_000, 4).take().buffer.byteLength).toBe(4)
  })

  it('takes an empty file', () => {
    expect(collect([], 0).take().byteLength).toBe(0)
    expect(collect([''], undefined).take().byteLength).toBe(0)
  })
})
