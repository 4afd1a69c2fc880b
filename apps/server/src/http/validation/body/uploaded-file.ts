/**
 * Uploaded files as handlers receive them, and the clean-up of what the client said about them:
 * a file name and a Content-Type are untrusted text that ends up in storage, logs and download
 * headers.
 */

/** A file part of a multipart request, read whole, hashed, with a safe name and type. */
export interface UploadedFile {
  /** The client's file name, sanitised: no path, no control characters, at most 255 bytes. */
  name: string
  /** The part's `type/subtype` (lowercase, harmless parameters kept), else octet-stream. */
  contentType: string
  /** The bytes, in order, in the pieces they arrived in (see file-bytes.ts). */
  chunks: Uint8Array[]
  /** Bytes, the chunks' together. */
  size: number
  /** SHA-256 of the bytes, lowercase hex, computed while the part streamed in. */
  sha256: string
  /**
   * Tells the request that its files are stored: it lets go of their memory and of its share
   * of the upload budget at once (see held-upload.ts). Every file of a request has the same;
   * the chunks are empty afterwards. None for files that are no upload's (decoded from JSON).
   */
  stored?: () => void
}

const FALLBACK_NAME = 'file'
const MAX_NAME_BYTES = 255
const OCTET_STREAM = 'application/octet-stream'
// RFC 6838 restricted-name, lowercased.
const RESTRICTED_NAME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/
const HARMLESS_PARAMETER =
  /^[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[\x20\x21\x23-\x5b\x5d-\x7e]*")$/

function utf8Length(char: string): number {
  const code = char.codePointAt(0) ?? 0
  if (code < 0x80) return 1
  if (code < 0x800) return 2
  return code < 0x10000 ? 3 : 4
}

/** Cuts `name` to `maxBytes` of UTF-8 on a character boundary, keeping a short extension. */
function truncateUtf8(name: string, maxBytes: number): string {
  const chars = [...name]
  if (chars.reduce((sum, c) => sum + utf8Length(c), 0) <= maxBytes) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : ''
  let budget = maxBytes - [...extension].reduce((sum, c) => sum + utf8Length(c), 0)
  let stem = ''
  for (const char of name.slice(0, name.length - extension.length)) {
    budget -= utf8Length(char)
    if (budget < 0) break
    stem += char
  }
  return `${stem.trimEnd()}${extension}`
}

/**
 * A file name safe to store and show: the part after the last `/` or `\` (clients send
 * `C:\Users\...` or `../../etc/passwd`), without control or invisible formatting characters
 * (NUL, newlines, bidi overrides that disguise `exe.txt` as `txt.exe`), trimmed, at most
 * 255 bytes of UTF-8; `file` when nothing is left.
 *
 * @example
 * ```ts
 * sanitizeFileName('../../etc/passwd') // 'passwd'
 * sanitizeFileName('C:\\x\\y.txt') // 'y.txt'
 * sanitizeFileName('\u0000') // 'file'
 * ```
 */
export function sanitizeFileName(raw: string | undefined): string {
  const visible = (raw ?? '').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
  const base = visible.slice(Math.max(visible.lastIndexOf('/'), visible.lastIndexOf('\\')) + 1)
  const trimmed = base.trim()
  if (trimmed === '' || trimmed === '.' || trimmed === '..') return FALLBACK_NAME
  return truncateUtf8(trimmed, MAX_NAME_BYTES) || FALLBACK_NAME
}

/**
 * A part's Content-Type made safe to store and serve back: `type/subtype` made of RFC 6838
 * characters, lowercased, with only `name=value` parameters of plain characters kept;
 * `application/octet-stream` when absent or malformed.
 *
 * @example
 * ```ts
 * sanitizeContentType('Text/Plain; Charset=UTF-8') // 'text/plain; charset=utf-8'
 * sanitizeContentType('text/html\r\nX-Evil: 1') // 'application/octet-stream'
 * ```
 */
export function sanitizeContentType(raw: string | undefined): string {
  if (!raw) return OCTET_STREAM
  const [essence = '', ...parameters] = raw.toLowerCase().split(';')
  const [type, subtype, ...rest] = essence.trim().split('/')
  if (!type || !subtype || rest.length > 0) return OCTET_STREAM
  if (!RESTRICTED_NAME.test(type) || !RESTRICTED_NAME.test(subtype)) return OCTET_STREAM
  const mediaType = `${type}/${subtype}`
  const kept = parameters.map((p) => p.trim()).filter((p) => HARMLESS_PARAMETER.test(p))
  const full = [mediaType, ...kept].join('; ')
  return full.length <= 255 ? full : mediaType
}
