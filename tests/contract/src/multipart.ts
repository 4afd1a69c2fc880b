/**
 * Raw `multipart/form-data` bodies, byte by byte, so that a test controls what `FormData` would
 * never produce: hostile file names, truncated bodies, a boundary that does not match.
 */

export interface Part {
  name: string
  /** Present: a file part with this file name. */
  filename?: string
  contentType?: string
  data: string | Uint8Array
}

const encoder = new TextEncoder()

/** A file name in a `Content-Disposition` parameter, escaped the way browsers do (WHATWG). */
function quoted(value: string): string {
  return value.replaceAll('"', '%22').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

/** The bytes of a multipart body with these parts and boundary. */
export function multipartBytes(parts: readonly Part[], boundary: string): Uint8Array<ArrayBuffer> {
  const chunks: Uint8Array[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(part.name)}"`
    if (part.filename !== undefined) head += `; filename="${quoted(part.filename)}"`
    head += '\r\n'
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`
    chunks.push(encoder.encode(`${head}\r\n`))
    chunks.push(typeof part.data === 'string' ? encoder.encode(part.data) : part.data)
    chunks.push(encoder.encode('\r\n'))
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`))
  const size = chunks.reduce((total, chunk) => total + chunk.byteLength, 0)
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Where the closing delimiter starts: cutting the body anywhere before its end breaks it. */
export function closingDelimiterEnd(bytes: Uint8Array, boundary: string): number {
  const text = new TextDecoder('latin1').decode(bytes)
  return text.lastIndexOf(`--${boundary}--`) + `--${boundary}--`.length
}
