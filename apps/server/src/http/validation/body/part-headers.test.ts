import { describe, expect, it } from 'vitest'
import { BOUNDARY, multipartBody } from '../../../../test/support/validation-app.ts'
import { multipartBoundary, PartHeaderSniffer } from './part-headers.ts'

function sniff(body: Uint8Array, chunkSize: number): PartHeaderSniffer {
  const sniffer = new PartHeaderSniffer(BOUNDARY)
  for (let i = 0; i < body.byteLength; i += chunkSize) sniffer.push(body.slice(i, i + chunkSize))
  return sniffer
}

describe('multipartBoundary', () => {
  it('reads plain and quoted boundaries', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc')
    expect(multipartBoundary('multipart/form-data; charset=x; Boundary="a b;c"')).toBe('a b;c')
    expect(multipartBoundary('multipart/form-data')).toBeUndefined()
  })
})

describe('PartHeaderSniffer', () => {
  const body = multipartBody([
    { name: 'agent_id', value: 'echo' },
    { name: 'files', filename: 'a.txt', contentType: 'Text/Plain; charset=UTF-8', value: 'a' },
    // A file whose bytes look like a delimiter without the leading CRLF must not confuse it.
    { name: 'files', filename: 'b.bin', value: `--${BOUNDARY}\r\nContent-Type: x/y\r\n\r\n` },
    { name: 'files', filename: 'c.png', contentType: 'image/png', value: '' },
    { name: 'note', contentType: 'application/octet-stream', value: 'octets make a file' },
    { name: 'empty', filename: '', value: '' },
  ])

  it.each([1, 2, 3, 17, 1000])('queues the file parts’ Content-Type in chunks of %i', (size) => {
    const sniffer = sniff(body, size)
    expect(sniffer.takeFileContentType('text/plain')).toBe('Text/Plain; charset=UTF-8')
    // No Content-Type: busboy says text/plain, which is a guess.
    expect(sniffer.takeFileContentType('text/plain')).toBeUndefined()
    expect(sniffer.takeFileContentType('image/png')).toBe('image/png')
    expect(sniffer.takeFileContentType('application/octet-stream')).toBe('application/octet-stream')
  })

  it('finds the parts after a large file in any chunking, delimiters split or almost there', () => {
    // Near misses of the delimiter all through the file, some across chunk edges.
    const nearMiss = `\r\n--${BOUNDARY.slice(0, -1)}`
    const large = `${'z'.repeat(1000)}${nearMiss}`.repeat(100)
    const withLarge = multipartBody([
      { name: 'files', filename: 'big.bin', contentType: 'application/x-big', value: large },
      { name: 'agent_id', contentType: 'text/plain; charset=latin1', value: 'echo' },
      { name: 'files', filename: 'after.txt', contentType: 'text/markdown', value: 'x' },
    ])
    const delimiter = `\r\n--${BOUNDARY}`.length
    for (const size of [delimiter - 1, delimiter, delimiter + 1, 4096, 65536]) {
      const sniffer = sniff(withLarge, size)
      expect(sniffer.takeFileContentType('application/x-big'), `${size}`).toBe('application/x-big')
      expect(sniffer.takeFieldCharset(), `${size}`).toBe('latin1')
      expect(sniffer.takeFileContentType('text/markdown'), `${size}`).toBe('text/markdown')
    }
  })

  it('trusts busboy when the pairing disagrees', () => {
    const sniffer = sniff(body, 64)
    expect(sniffer.takeFileContentType('image/gif')).toBe('image/gif')
  })
})
