import { describe, expect, it } from 'vitest'
import { replayedHeaders } from './captured-bodies.ts'

describe('replayedHeaders', () => {
  it('keeps what the server chose and drops what varies per response or connection', () => {
    const headers = new Headers({
      'content-type': 'application/json',
      'x-frame-options': 'DENY',
      'x-request-id': 'abc',
      date: 'Thu, 26 Nov 2026 05:00:00 GMT',
      'content-length': '12',
      connection: 'keep-alive',
    })
    expect(replayedHeaders(headers)).toEqual({
      'content-type': 'application/json',
      'x-frame-options': 'DENY',
    })
  })
})
