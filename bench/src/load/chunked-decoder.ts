/**
 * An incremental decoder of an HTTP/1.1 `Transfer-Encoding: chunked` body (RFC 9112 §7.1):
 * hexadecimal sizes (extensions ignored), data, CRLF after each, a zero-size chunk last
 * (trailers ignored). For the SSE subscribers, which read their sockets without Node's HTTP
 * client to keep the measuring process light.
 *
 * @example
 * ```ts
 * const decoder = new ChunkedDecoder()
 * decoder.push(Buffer.from('5\r\nhello\r\n0\r\n\r\n')) // [<hello>]; decoder.done === true
 * ```
 */
export class ChunkedDecoder {
  /** Bytes of the current chunk's data still to come; -1 while reading a size line. */
  #remaining = -1
  /** CRLF bytes still to skip after a chunk's data. */
  #crlf = 0
  #sizeLine = ''
  #done = false

  /** Whether the last (zero-size) chunk was read. */
  get done(): boolean {
    return this.#done
  }

  /** Adds received bytes; returns the body's bytes among them, in order. */
  push(bytes: Buffer): Buffer[] {
    const out: Buffer[] = []
    let at = 0
    while (at < bytes.length && !this.#done) {
      if (this.#crlf > 0) {
        const skip = Math.min(this.#crlf, bytes.length - at)
        this.#crlf -= skip
        at += skip
      } else if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, bytes.length - at)
        out.push(bytes.subarray(at, at + take))
        this.#remaining -= take
        at += take
        if (this.#remaining === 0) {
          this.#remaining = -1
          this.#crlf = 2
        }
      } else {
        const end = bytes.indexOf(10, at)
        if (end < 0) {
          this.#sizeLine += bytes.toString('latin1', at)
          break
        }
        const line = this.#sizeLine + bytes.toString('latin1', at, end)
        this.#sizeLine = ''
        at = end + 1
        const size = Number.parseInt(line, 16)
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line: ${line}`)
        if (size === 0) this.#done = true
        else this.#remaining = size
      }
    }
    return out
  }
}
