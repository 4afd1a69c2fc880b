/**
 * A file's bytes as they travel and as the store keeps them: in pieces, never joined on the way
 * in. An upload's pieces are the bytes as they came off the socket (views, not copies): copied
 * into one growing buffer, a 24 MiB upload left ~8 MiB of outgrown buffers and 24 MiB of socket
 * chunks behind as garbage, and stored as one blob it made SQLite hold two more copies of it
 * while its statement ran. Stored, each row holds one piece of at most `FILE_CHUNK_BYTES` at its
 * byte position in the file (`start`), so that a prefix is read without the rest.
 */

/**
 * The most bytes in one stored row of a file, and in one statement that stores them
 * (the rows are written in statements of about this many bytes).
 */
export const FILE_CHUNK_BYTES = 1024 * 1024

/** A file's bytes, in order, in pieces of any size. */
export type FilePieces = readonly Uint8Array[]

/** One stored row of a file: bytes and their position in the file. */
export interface FileRow {
  start: number
  data: Uint8Array
}

/**
 * The rows a file is stored in: each piece at its position, one longer than `maxRowBytes`
 * cut into views of it (nothing is copied); empty pieces give no row.
 *
 * @example
 * ```ts
 * [...fileRows([new Uint8Array(3), new Uint8Array(5)], 4)].map((r) => [r.start, r.data.byteLength])
 * // [[0, 3], [3, 4], [7, 1]]
 * ```
 */
export function* fileRows(pieces: FilePieces, maxRowBytes = FILE_CHUNK_BYTES): Generator<FileRow> {
  let start = 0
  for (const piece of pieces)
    for (let offset = 0; offset < piece.byteLength; offset += maxRowBytes) {
      const data = piece.subarray(offset, offset + maxRowBytes)
      yield { start, data }
      start += data.byteLength
    }
}

/**
 * The pieces as one buffer; a single piece is given back as it is.
 *
 * @example
 * ```ts
 * joinPieces([Uint8Array.of(1), Uint8Array.of(2, 3)]) // Uint8Array [1, 2, 3]
 * ```
 */
export function joinPieces(pieces: FilePieces): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array
  const joined = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0))
  let offset = 0
  for (const piece of pieces) {
    joined.set(piece, offset)
    offset += piece.byteLength
  }
  return joined
}

/**
 * Hands files back to their holder once their bytes are stored: calls each one's `stored` and
 * empties the list, so that nothing here keeps their bytes while a caller waits (for a run, as
 * long as the run wait). The holder may free the bytes at once (the HTTP layer does: an upload's
 * memory would otherwise wait for V8's next full collection), so call it only when they are no
 * longer read.
 *
 * @example
 * ```ts
 * const session = await store.createSession({ ...input, message: { id, text, files } })
 * filesStored(input.files) // input.files is [] now
 * ```
 */
export function filesStored(files: { stored?: () => void }[]): void {
  for (const file of files) file.stored?.()
  files.length = 0
}
