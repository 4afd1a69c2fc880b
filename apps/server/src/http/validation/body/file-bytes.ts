/**
 * The bytes of one uploaded file, kept as the pieces busboy hands over (views of the request's
 * body buffers, see held-upload.ts, or busboy's own copies where a boundary split them), never
 * copied or joined: the
 * store writes them as they are (see domain/file-chunks.ts). Copying them into one growing
 * buffer held each byte twice until V8 collected the socket's chunks (a 24 MiB upload grew RSS
 * by ~75 MiB) and left the outgrown buffers behind too.
 */

/**
 * Collects a file's bytes, at most `maxBytes` of them.
 *
 * @example
 * ```ts
 * const bytes = new FileBytes(maxFileBytes)
 * stream.on('data', (chunk) => bytes.append(chunk))
 * stream.on('end', () => save(bytes.take()))
 * ```
 */
export class FileBytes {
  readonly #pieces: Uint8Array[] = []
  #size = 0
  readonly #maxBytes: number

  /** @param maxBytes the most bytes the file can have */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  /** Bytes collected so far. */
  get size(): number {
    return this.#size
  }

  /**
   * Keeps `chunk` (not a copy: its bytes must not change afterwards, as a stream's chunks do
   * not); past `maxBytes` the rest of it is dropped (the caller refuses the file).
   */
  append(chunk: Uint8Array): void {
    const room = this.#maxBytes - this.#size
    const bytes = chunk.byteLength <= room ? chunk : chunk.subarray(0, room)
    if (bytes.byteLength === 0) return
    this.#pieces.push(bytes)
    this.#size += bytes.byteLength
  }

  /** The file's bytes, in order, as they arrived. */
  take(): Uint8Array[] {
    return this.#pieces
  }
}
