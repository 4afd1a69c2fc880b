/**
 * The bytes of one uploaded file, copied into a single buffer as they arrive. Keeping the
 * arriving chunks and joining them at the end would hold every byte twice at the end of each
 * file, and keep the chunks (a socket read each) alive long enough to outlive the young
 * generation, so that they wait for a full garbage collection; copied at once, they die young.
 */

/** Spare room at the end of a file's buffer that is kept rather than copied away. */
const SLACK_BYTES = 64 * 1024
const MIN_CAPACITY = 16 * 1024

/**
 * Collects a file's bytes. `expectedBytes` is what the file may take at most, as far as is
 * known (e.g. what is left of a declared Content-Length): the buffer starts that large, so a
 * file whose size it bounds closely is copied exactly once; it grows when more arrive.
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

  /**
   * @param expectedBytes an upper bound of the file's size if one is known, else `undefined`
   * @param maxBytes the most bytes the file can have (the buffer never grows past it)
   */
  constructor(expectedBytes: number | undefined, maxBytes: number) {
    this.#maxBytes = maxBytes
    const start = expectedBytes ?? MIN_CAPACITY
    this.#buffer = new Uint8Array(Math.max(0, Math.min(start, maxBytes)))
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
    const capacity = Math.min(
      this.#maxBytes,
      Math.max(this.#size + needed, this.#buffer.byteLength * 2, MIN_CAPACITY),
    )
    const grown = new Uint8Array(capacity)
    grown.set(this.#buffer.subarray(0, this.#size))
    this.#buffer = grown
  }
}
