import { describe, expect, it } from 'vitest'
import { buildMultipart } from './multipart-body.ts'

describe('buildMultipart', () => {
  it('writes text fields, then files, then the closing boundary', () => {
    const { body, contentType } = buildMultipart(
      { agent_id: 'echo' },
      [
        {
          field: 'files',
          name: 'a.bin',
          contentType: 'application/octet-stream',
          data: new Uint8Array([65, 66]),
        },
      ],
      'b',
    )
    expect(contentType).toBe('multipart/form-data; boundary=b')
    expect(body.toString()).toBe(
      '--b\r\nContent-Disposition: form-data; name="agent_id"\r\n\r\necho\r\n' +
        '--b\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n' +
        'Content-Type: application/octet-stream\r\n\r\nAB\r\n--b--\r\n',
    )
  })
})
