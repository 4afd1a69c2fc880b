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

  it('reads a CRLF split across chunks, fields without a value or a space, and empty data', () => {
    const parser = new SseParser()
    expect(parser.push('id:7\r')).toEqual([])
    expect(parser.push('\nevent\r\ndata\r\n\r\n')).toEqual([{ id: '7', event: '', data: '' }])
    expect(parser.push('data:  two spaces\n\n: only a comment\n\n')).toEqual([
      { data: ' two spaces' },
    ])
  })

  it('gives the same events however the text is cut', () => {
    const text =
      'event: a\ndata: {"x":1}\nid: 5\n\n: keep-alive\n\nevent: b\r\ndata: 2\r\nid: 6\r\n\r\n'
    const whole = new SseParser().push(text)
    expect(whole).toEqual([
      { event: 'a', data: '{"x":1}', id: '5' },
      { event: 'b', data: '2', id: '6' },
    ])
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser()
      expect([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))]).toEqual(whole)
    }
  })
})
