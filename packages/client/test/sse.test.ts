import { describe, expect, it } from 'vitest'
import { readSse, type SseMessage } from '../src/sse.ts'

/** A body that delivers `chunks` one read at a time. */
function body(...chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      controller.close()
    },
  })
}

async function all(stream: ReadableStream<Uint8Array>, lastEventId?: string) {
  const messages: SseMessage[] = []
  for await (const message of readSse(stream, lastEventId)) messages.push(message)
  return messages
}

describe('readSse', () => {
  it('reads events, fields and defaults', async () => {
    expect(await all(body('id: 1\nevent: status\ndata: {"a":1}\n\ndata: plain\n\n'))).toEqual([
      { event: 'status', data: '{"a":1}', id: '1' },
      // No event name: `message`; the id carries over.
      { event: 'message', data: 'plain', id: '1' },
    ])
  })

  it('treats CRLF, LF and CR alike, also when a CRLF is split between chunks', async () => {
    expect(await all(body('data: a\r', '\n\r', '\ndata: b\rdata: c\r\r', 'data: d\n\n'))).toEqual([
      { event: 'message', data: 'a', id: '' },
      { event: 'message', data: 'b\nc', id: '' },
      { event: 'message', data: 'd', id: '' },
    ])
  })

  it('joins data lines, keeps spaces after the first, and ignores comments and unknown fields', async () => {
    expect(
      await all(body(': keep-alive\n\ndata:  two spaces\ndata\nfoo: bar\ndata: last\n\n')),
    ).toEqual([{ event: 'message', data: ' two spaces\n\nlast', id: '' }])
  })

  it('reads characters split across chunks, and drops a leading byte order mark', async () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: é\n\n')
    expect(await all(body(bytes.slice(0, 8), bytes.slice(8)))).toEqual([
      { event: 'message', data: 'é', id: '' },
    ])
  })

  it('keeps the last id, resets it when empty, ignores one with NUL, and reads retry', async () => {
    expect(
      await all(
        body(
          'id: 7\ndata: a\n\nid: 8\u0000\ndata: b\n\nid\nretry: 250\ndata: c\n\nretry: soon\ndata: d\n\n',
        ),
        '3',
      ),
    ).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
      { event: 'message', data: 'c', id: '', retry: 250 },
      { event: 'message', data: 'd', id: '' },
    ])
  })

  it('starts from the given last event id', async () => {
    expect(await all(body('data: x\n\n'), '42')).toEqual([
      { event: 'message', data: 'x', id: '42' },
    ])
  })

  it('does not dispatch an event without data, nor one left unfinished at the end', async () => {
    expect(await all(body('event: status\n\nevent: x\ndata: unfinished'))).toEqual([])
  })

  it('cancels the body when the loop stops early', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'))
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const message of readSse(stream)) {
      expect(message.data).toBe('1')
      break
    }
    expect(cancelled).toBe(true)
  })
})
