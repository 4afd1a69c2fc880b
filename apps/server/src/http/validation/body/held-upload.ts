/**
 * The memory of one multipart request's body, from its first byte until its files are stored.
 *
 * Two things are held: the request's share of the server's upload budget (its
 * {@link UploadLease}), and the chunks read from Node's request, which the files' pieces are
 * views of. Both are let go at once when the files are stored (the domain says so through each
 * file's `stored`), or when the request is refused or its handler ends without storing them.
 *
 * The chunks are freed then, not when V8 collects them: each is an `ArrayBuffer` of its own
 * (Node copies a body's bytes off its parser's buffer), and one that lived through two scavenges
 * (an upload waiting for its commit) is in the old generation, which V8 collects only after
 * ~64 MiB more of external memory. At 50 uploads at once that garbage was most of the peak
 * RSS. Detaching a buffer (`transfer(0)`) gives its memory back to the allocator at once.
 */
import type { UploadLease } from './upload-gate.ts'

/** `ArrayBuffer.prototype.transfer` (ES2024; the project's lib is ES2023). */
type Transferable = ArrayBuffer & { transfer(newLength: number): ArrayBuffer; detached: boolean }

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
 * One request's upload memory; `release` lets all of it go, once (later calls do nothing).
 *
 * @example
 * ```ts
 * const held = new HeldUpload(gate.lease())
 * const wait = held.take(chunk.byteLength) // for each chunk read
 * if (wait) await wait
 * held.keep(chunk) // if it was read from Node's request
 * const file = { ...upload, stored: held.release }
 * ```
 */
export class HeldUpload {
  #lease: UploadLease | undefined
  #chunks: Uint8Array[] = []

  /** @param lease the request's share of the upload budget, if the server has one */
  constructor(lease?: UploadLease) {
    this.#lease = lease
  }

  /**
   * Keeps `chunk` to be freed on release: only chunks that nothing outside this request can
   * hold (read from Node's request, not a `Request` built by a caller).
   */
  keep(chunk: Uint8Array): void {
    this.#chunks.push(chunk)
  }

  /**
   * Counts `bytes` more against the budget; `undefined` when they fit at once, else a promise
   * to await before reading on (see {@link UploadLease.take}).
   */
  take(bytes: number): Promise<void> | undefined {
    return this.#lease?.take(bytes)
  }

  /** Gives the budget back and frees the chunks; bound, so that it can be handed on. */
  readonly release = (): void => {
    this.#lease?.close()
    this.#lease = undefined
    const chunks = this.#chunks
    this.#chunks = []
    for (const chunk of chunks) freeChunk(chunk)
  }
}
