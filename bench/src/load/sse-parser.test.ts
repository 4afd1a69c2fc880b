import { describe, expect, it } from 'vitest'
import { SseParser } from './sse-parser.ts'

describe('SseParser', () => {
  it('parses events split across chunks, skipping comments', () => {
    const parser = new SseParser()
    expect(parser.push(': heartbeat\n\nid: 1\nevent: delta\nda')).toEqual([])
    expect(parser.push('ta: {"text":"Hi"}\r\n\r\ndata: a\ndata: b\n\n')).toEqual([
      { id: '1', event: 'delta', data: '{"text":"Hi"}' },
      { data: 'a\nb' },
    ])
  })
})
