import { describe, expect, it } from 'vitest'
import { sanitizeContentType, sanitizeFileName } from './uploaded-file.ts'

describe('sanitizeFileName', () => {
  it.each([
    ['notes.txt', 'notes.txt'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\x\\y.txt', 'y.txt'],
    ['/abs/path/', 'file'],
    ['a\u0000b.txt', 'ab.txt'],
    ['\u0000', 'file'],
    ['line\r\nbreak.txt', 'linebreak.txt'],
    ['evil\u202Etxt.exe', 'eviltxt.exe'],
    ['  spaced  ', 'spaced'],
    ['.', 'file'],
    ['..', 'file'],
    ['dir/..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['résumé.pdf', 'résumé.pdf'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected)
  })

  it('cuts long names to 255 bytes of UTF-8, keeping the extension', () => {
    const long = sanitizeFileName(`${'n'.repeat(10_000)}.pdf`)
    expect(long).toBe(`${'n'.repeat(251)}.pdf`)
    const wide = sanitizeFileName(`${'é'.repeat(200)}.txt`)
    expect(new TextEncoder().encode(wide).byteLength).toBeLessThanOrEqual(255)
    expect(wide.endsWith('.txt')).toBe(true)
    // Never half a character: 4-byte emoji cut on a boundary.
    const emoji = sanitizeFileName('😀'.repeat(100))
    expect(new TextEncoder().encode(emoji).byteLength).toBe(252)
    expect([...emoji].every((c) => c === '😀')).toBe(true)
  })
})

describe('sanitizeContentType', () => {
  it.each([
    [undefined, 'application/octet-stream'],
    ['', 'application/octet-stream'],
    ['text/plain', 'text/plain'],
    ['Text/Plain; Charset=UTF-8', 'text/plain; charset=utf-8'],
    ['image/svg+xml', 'image/svg+xml'],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['text/plain; name="a b.txt"', 'text/plain; name="a b.txt"'],
    ['text/plain; name="a\\"b"; charset=utf-8', 'text/plain; charset=utf-8'],
    ['text/plain; bad param', 'text/plain'],
    ['text', 'application/octet-stream'],
    ['text/', 'application/octet-stream'],
    ['a/b/c', 'application/octet-stream'],
    ['text/html\r\nX-Evil: 1', 'application/octet-stream'],
    ['te xt/plain', 'application/octet-stream'],
    [`text/plain; x=${'a'.repeat(300)}`, 'text/plain'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeContentType(raw)).toBe(expected)
  })
})
