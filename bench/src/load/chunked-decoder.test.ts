import { describe, expect, it } from 'vitest'
import { ChunkedDecoder } from './chunked-decoder.ts'

const first = 'event: a\n\n'
const second = 'id: 2\ndata: {"x":"é"}\n\n'
const size = (text: string) => Buffer.byteLength(text).toString(16)
const body = `${size(first)}\r\n${first}\r\n${size(second).toUpperCase()};ext=1\r\n${second}\r\n0\r\n\r\n`

describe('ChunkedDecoder', () => {
  it('decodes a whole body and sees its end', () => {
    const decoder = new ChunkedDecoder()
    const out = decoder.push(Buffer.from(body))
    expect(Buffer.concat(out).toString()).toBe(first + second)
    expect(decoder.done).toBe(true)
  })

  it('decodes the same when the bytes arrive split anywhere', () => {
    const bytes = Buffer.from(body)
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new ChunkedDecoder()
      const out = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))]
      expect(Buffer.concat(out).toString()).toBe(first + second)
      expect(decoder.done).toBe(true)
    }
  })

  it('is not done before the last chunk, and rejects a size that is not hexadecimal', () => {
    const decoder = new ChunkedDecoder()
    decoder.push(Buffer.from('3\r\nabc\r\n'))
    expect(decoder.done).toBe(false)
    expect(() => decoder.push(Buffer.from('zz\r\n'))).toThrow('bad chunk size line')
  })
})
