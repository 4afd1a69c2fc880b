/**
 * The bytes of one uploaded file, copied into one buffer as they arrive. Keeping the arriving
 * chunks and joining them at the end would hold every byte twice when the file ends. The buffer
 * grows with what has arrived (never with what a client merely announces, which would let a
 * few bytes sent reserve megabytes), up to what the file can still take at most, so that a file
 * whose size is bounded closely (one file in a request with a Content-Length) ends in a buffer
 * of its own size, with no final copy.
 */

/** Spare room at the end of a file's buffer that is kept rather than copied away. */
const SLACK_BYTES = 64 * 1024
const MIN_CAPACITY = 64 * 1024

/**
 * Collects a file's bytes. `expectedBytes` is what the file may take at most, as far as is
 * known (e.g. what is left of a declared Content-Length): the buffer doubles as bytes arrive,
 * but not past it unless more than it actually arrive.
 *
 * @example
 * ```ts
 * const bytes = new FileBytes(declaredLength - bytesBeforeThePart, maxFileBytes)
 * stream.on('data', (chunk) => bytes.append(chunk))
 * stream.on('end', () => save(bytes.take()))
 * ```
 */
export class FileBytes {
  #buffer: Uint8Array<ArrayBuffer>
  #size = 0
  readonly #maxBytes: number
  readonly #expectedBytes: number

  /**
   * @param expectedBytes an upper bound of the file's size if one is known, else `undefined`
   * @param maxBytes the most bytes the file can have (the buffer never grows past it)
   */
  constructor(expectedBytes: number | undefined, maxBytes: number) {
    this.#maxBytes = maxBytes
    this.#expectedBytes = Math.max(0, Math.min(expectedBytes ?? maxBytes, maxBytes))
    this.#buffer = new Uint8Array(0)
  }

  /** Bytes collected so far. */
  get size(): number {
    return this.#size
  }

  /** Appends `chunk`; past `maxBytes` the rest of it is dropped (the caller refuses the file). */
  append(chunk: Uint8Array): void {
    const room = this.#maxBytes - this.#size
    const bytes = chunk.byteLength <= room ? chunk : chunk.subarray(0, room)
    if (this.#size + bytes.byteLength > this.#buffer.byteLength) this.#grow(bytes.byteLength)
    this.#buffer.set(bytes, this.#size)
    this.#size += bytes.byteLength
  }

  /**
   * The file's bytes, in memory of their own (zeroed past the end, never shared with other
   * data). Copied to a buffer of the exact size only when more than a little room is unused.
   */
  take(): Uint8Array<ArrayBuffer> {
    const spare = this.#buffer.byteLength - this.#size
    if (spare === 0) return this.#buffer
    if (spare <= SLACK_BYTES) return this.#buffer.subarray(0, this.#size)
    return this.#buffer.slice(0, this.#size)
  }

  #grow(needed: number): void {
    const wanted = this.#size + needed
    const doubled = Math.max(this.#buffer.byteLength * 2, MIN_CAPACITY)
    const bound = wanted <= this.#expectedBytes ? this.#expectedBytes : this.#maxBytes
    const capacity = Math.max(wanted, Math.min(doubled, bound))
    const grown = new Uint8Array(capacity)
    grown.set(this.#buffer.subarray(0, this.#size))
    this.#buffer = grown
  }
}
