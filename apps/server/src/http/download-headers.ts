import type { StoredFile } from '../domain/session-store.ts'

/**
 * Types a browser shows inline without running anything: everything else is served as
 * `application/octet-stream`, since the uploader chose the type and it cannot be trusted.
 */
const inlineSafeTypes = new Set([
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'audio/mpeg',
  'audio/wav',
  'video/mp4',
])

/**
 * @example
 * ```ts
 * safeContentType('text/html') // 'application/octet-stream'
 * safeContentType('text/plain; charset=utf-8') // 'text/plain; charset=utf-8'
 * ```
 */
export function safeContentType(declared: string): string {
  const essence = declared.split(';')[0]?.trim().toLowerCase() ?? ''
  return inlineSafeTypes.has(essence) ? declared : 'application/octet-stream'
}

/**
 * An `attachment` disposition (RFC 6266) with an ASCII fallback name and the UTF-8 name.
 *
 * @example
 * ```ts
 * contentDisposition('résumé.pdf') // attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
 * ```
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/**
 * A file's strong entity tag: its id and the hash of its bytes. A stored file never changes, so
 * the tag is known without hashing the download.
 *
 * @example
 * ```ts
 * fileEntityTag({ id: 'f1', sha256: 'ab12…', ...rest }) // '"f1.ab12…"'
 * ```
 */
export function fileEntityTag(file: Pick<StoredFile, 'id' | 'sha256'>): string {
  return `"${file.id}.${file.sha256}"`
}
