/**
 * The raw `Content-Type` header of each file part, and the declared charset of each text part.
 * busboy 1.6 reports only `type/subtype` and says `text/plain` when a part has no Content-Type
 * at all (python-requests sends file parts without one), which would mislabel every such
 * upload; and it does not say which charset it decoded a text part with. This reads the part
 * headers from the same bytes busboy is fed, just before busboy sees them, and queues what it
 * finds in order, so busboy's `file` and `field` events can take them one by one.
 */

const MAX_HEADER_BLOCK = 32 * 1024
const HEADER_END = Buffer.from('\r\n\r\n')
const LINE_END = Buffer.from('\r\n')

type State = 'boundary' | 'boundary-line' | 'headers' | 'done'

/** The `boundary` parameter of a multipart Content-Type, or `undefined`. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return match?.[1] ?? match?.[2]
}

/** What busboy makes of a part header block: skipped, a field, or a file. */
function fileContentType(block: string): {
  isFile: boolean
  isField: boolean
  contentType: string | undefined
} {
  const headers = new Map<string, string>()
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim())
  }
  const disposition = headers.get('content-disposition') ?? ''
  const contentType = headers.get('content-type')
  const formData = /^form-data\s*(?:;|$)/i.test(disposition)
  // busboy ignores an empty `filename=""`: the part is then a field, unless typed octet-stream.
  const hasFileName = /;\s*filename\*?\s*=\s*(?!""|;|$)/i.test(disposition)
  const octets =
    (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/octet-stream'
  const isFile = formData && (hasFileName || octets)
  return { isFile, isField: formData && !isFile, contentType }
}

/** The `charset` parameter of a part's Content-Type, as busboy reads it (lowercase). */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType ?? '')
  const charset = match?.[1] ?? match?.[2]
  return charset ? charset.toLowerCase() : undefined
}

/**
 * Follows the multipart framing of a body and remembers the Content-Type of each file part.
 *
 * @example
 * ```ts
 * const sniffer = new PartHeaderSniffer(boundary)
 * sniffer.push(chunk) // before busboy.write(chunk)
 * busboy.on('file', (name, stream, info) => sniffer.takeFileContentType(info.mimeType))
 * ```
 */
export class PartHeaderSniffer {
  readonly #delimiter: Buffer
  #buffer: Buffer
  #state: State = 'boundary'
  readonly #fileTypes: Array<string | undefined> = []
  readonly #fieldCharsets: Array<string | undefined> = []

  constructor(boundary: string) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`)
    // A body may start with its first boundary directly; a virtual CRLF makes it match.
    this.#buffer = Buffer.from(LINE_END)
  }

  /** Feeds the next bytes of the body. */
  push(chunk: Uint8Array): void {
    if (this.#state === 'done') return
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.#buffer = this.#joined(bytes)
    while (this.#step()) {
      // Each step consumes one delimiter, boundary line or header block.
    }
  }

  /**
   * What is left over, followed by `chunk`. Inside a part's body (most of an upload's bytes)
   * only the last few bytes are left over, and they matter only if a delimiter starts in them:
   * otherwise the search goes on in the chunk itself, which is then not copied.
   */
  #joined(chunk: Buffer): Buffer {
    if (this.#buffer.length === 0) return chunk
    if (this.#state !== 'boundary') return Buffer.concat([this.#buffer, chunk])
    const head = Buffer.concat([this.#buffer, chunk.subarray(0, this.#delimiter.length - 1)])
    // A short chunk may still leave a delimiter's start in `head`: keep it all.
    if (
      head.includes(this.#delimiter) ||
      head.length < this.#buffer.length + this.#delimiter.length - 1
    )
      return Buffer.concat([this.#buffer, chunk])
    return chunk
  }

  /** Moves past the next framing element if it is all there; says whether it did. */
  #step(): boolean {
    switch (this.#state) {
      case 'boundary': {
        const at = this.#buffer.indexOf(this.#delimiter)
        if (at < 0) {
          // Keep just enough to find a delimiter split across chunks, copied so that the
          // chunk it came from is not kept alive with it.
          const keep = Math.max(0, this.#buffer.length - this.#delimiter.length + 1)
          this.#buffer = Buffer.from(this.#buffer.subarray(keep))
          return false
        }
        this.#buffer = this.#buffer.subarray(at + this.#delimiter.length)
        this.#state = 'boundary-line'
        return true
      }
      case 'boundary-line': {
        if (this.#buffer.length < 2) return false
        if (this.#buffer[0] === 0x2d && this.#buffer[1] === 0x2d) {
          this.#finish()
          return false
        }
        const lineEnd = this.#buffer.indexOf(LINE_END)
        if (lineEnd < 0) return false
        // Keep the CRLF: an empty header block is then found as CRLF CRLF at 0.
        this.#buffer = this.#buffer.subarray(lineEnd)
        this.#state = 'headers'
        return true
      }
      case 'headers': {
        const end = this.#buffer.indexOf(HEADER_END)
        if (end < 0) {
          if (this.#buffer.length > MAX_HEADER_BLOCK) this.#finish()
          return false
        }
        const block = this.#buffer.subarray(LINE_END.length, end).toString('utf8')
        const part = fileContentType(block)
        if (part.isFile) this.#fileTypes.push(part.contentType)
        else if (part.isField) this.#fieldCharsets.push(charsetOf(part.contentType))
        // The part's body starts after the blank line, as busboy's search for the next delimiter.
        this.#buffer = this.#buffer.subarray(end + HEADER_END.length)
        this.#state = 'boundary'
        return true
      }
      default:
        return false
    }
  }

  /**
   * The raw Content-Type of the next file part, or `undefined` when it had none. `busboyType`
   * (busboy's `type/subtype` for that part) guards the pairing: if the two disagree, busboy's
   * reading is returned.
   */
  takeFileContentType(busboyType: string): string | undefined {
    if (this.#fileTypes.length === 0) return busboyType
    const raw = this.#fileTypes.shift()
    if (raw === undefined) return busboyType === 'text/plain' ? undefined : busboyType
    const essence = raw.split(';')[0]?.trim().toLowerCase()
    return essence === busboyType.toLowerCase() ? raw : busboyType
  }

  /**
   * The charset the next text part declared, or `undefined` when it declared none (busboy then
   * decodes it with its `defCharset`).
   */
  takeFieldCharset(): string | undefined {
    return this.#fieldCharsets.shift()
  }

  #finish(): void {
    this.#state = 'done'
    this.#buffer = Buffer.alloc(0)
  }
}
