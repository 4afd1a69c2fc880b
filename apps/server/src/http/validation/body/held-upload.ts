/**
 * The memory of one multipart request's body, from its first byte until its files are stored.
 *
 * Two things are held: the request's share of the server's upload budget (its
 * {@link UploadLease}), and the request's own copy of its body, which the files' pieces are
 * views of. Both are let go at once when the files are stored (the domain says so through each
 * file's `stored`), or when the request is refused or its handler ends without storing them.
 *
 * The body is copied, as it is read, into buffers of the request's own of at most
 * {@link BODY_BUFFER_BYTES}, the last one sized from what `Content-Length` says is left, and
 * each chunk read from Node's request is freed as soon as it is copied. Node copies each piece
 * of a body off its parser's buffer into a buffer of 15-64 KiB, under glibc's mmap threshold
 * (start.sh): kept until the files were stored, 50 uploads' pieces grew glibc's heap from 5 to
 * 45-57 MiB, fragmented, and the budget counted what had been read, not the memory holding it.
 * A buffer of 256 KiB is a mapping of its own, handed back to the system when it is freed, and
 * the budget counts the buffers.
 *
 * The buffers are freed then, not when V8 collects them: one that lived through two scavenges
 * (an upload waiting for its commit) is in the old generation, which V8 collects only after
 * ~64 MiB more of external memory. Detaching a buffer (`transfer(0)`) gives its memory back to
 * the allocator at once.
 */
import type { UploadLease } from './upload-gate.ts'

/** `ArrayBuffer.prototype.transfer` (ES2024; the project's lib is ES2023). */
type Transferable = ArrayBuffer & { transfer(newLength: number): ArrayBuffer; detached: boolean }

/**
 * The most bytes in one of a request's body buffers: 4 times glibc's mmap threshold in
 * start.sh, so that each is a mapping of its own; small, since the budget counts a buffer
 * whole from the moment it is taken, so that a client that sends a little and stalls holds at
 * most this much of it (until `REQUEST_TIMEOUT_MS` cuts it off).
 */
export const BODY_BUFFER_BYTES = 256 * 1024

/**
 * Frees the memory under `chunk` at once, when `chunk` is all of its `ArrayBuffer` (a chunk
 * that shares one, as Node's pooled small buffers do, is left to the collector). Every view of
 * that memory then has length 0.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(1024)
 * freeChunk(bytes)
 * bytes.byteLength // 0
 * ```
 */
export function freeChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer as Transferable
  if (
    buffer instanceof ArrayBuffer &&
    !buffer.detached &&
    chunk.byteOffset === 0 &&
    chunk.byteLength === buffer.byteLength
  )
    buffer.transfer(0)
}

/**
 * One request's upload memory: `copy` takes each chunk as it is read; `release` lets all of it
 * go, once (later calls do nothing).
 *
 * @example
 * ```ts
 * const held = new HeldUpload(gate.lease(), declaredLength(request.headers))
 * for (const copy of await held.copy(chunk)) parser.write(copy) // for each chunk read
 * const file = { ...upload, stored: held.release }
 * ```
 */
export class HeldUpload {
  #lease: UploadLease | undefined
  /** Bytes the request declared and no buffer has room for yet. */
  #declaredLeft: number
  readonly #buffers: Buffer[] = []
  #filled = 0

  /**
   * @param lease the request's share of the upload budget, if the server has one
   * @param declaredBytes the body's `Content-Length`, if it has one: the buffers are sized to
   *   it, so that the last one is no larger than the bytes left
   */
  constructor(lease?: UploadLease, declaredBytes?: number) {
    this.#lease = lease
    this.#declaredLeft = declaredBytes ?? 0
  }

  /**
   * Copies `chunk` into the request's buffers, waiting for room in the budget before each new
   * buffer; resolves with the copies (views of the buffers, one per buffer it reached), in
   * order. `chunk` is not kept: the caller may free it.
   */
  async copy(chunk: Uint8Array): Promise<Buffer[]> {
    const copies: Buffer[] = []
    let offset = 0
    while (offset < chunk.byteLength) {
      let buffer = this.#buffers.at(-1)
      if (!buffer || this.#filled === buffer.byteLength) buffer = await this.#grow()
      const bytes = Math.min(buffer.byteLength - this.#filled, chunk.byteLength - offset)
      buffer.set(chunk.subarray(offset, offset + bytes), this.#filled)
      copies.push(buffer.subarray(this.#filled, this.#filled + bytes))
      this.#filled += bytes
      offset += bytes
    }
    return copies
  }

  /**
   * A new buffer, as large as the rest of the declared body (at most BODY_BUFFER_BYTES), once
   * the budget has room for all of it: the budget counts the buffers, what is in memory.
   */
  async #grow(): Promise<Buffer> {
    const size =
      this.#declaredLeft > 0 ? Math.min(BODY_BUFFER_BYTES, this.#declaredLeft) : BODY_BUFFER_BYTES
    this.#declaredLeft = Math.max(0, this.#declaredLeft - size)
    const room = this.#lease?.take(size)
    if (room) await room
    // Not from Node's pool: a buffer of its own, so that `freeChunk` can free it.
    const buffer = Buffer.allocUnsafeSlow(size)
    this.#buffers.push(buffer)
    this.#filled = 0
    return buffer
  }

  /** Gives the budget back and frees the buffers; bound, so that it can be handed on. */
  readonly release = (): void => {
    this.#lease?.close()
    this.#lease = undefined
    for (const buffer of this.#buffers.splice(0)) freeChunk(buffer)
  }
}
