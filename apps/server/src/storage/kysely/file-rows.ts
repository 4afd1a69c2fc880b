/**
 * Files' bytes in `file_chunks` rows (see domain/file-chunks.ts): each piece at its byte
 * position, written in statements of about `FILE_CHUNK_BYTES`, read back in order. A forked
 * file names the file that holds its bytes (`bytes_of`), so every read goes through that one.
 */
import type { Kysely } from 'kysely'
import {
  FILE_CHUNK_BYTES,
  type FilePieces,
  type FileRow,
  fileRows,
  joinPieces,
} from '../../domain/file-chunks.ts'
import type { Database, FilesTable } from './schema.ts'

/** The bytes as the driver wants them: a Buffer over the same memory. */
export const toBuffer = (data: Uint8Array) =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

/**
 * Stores a file's row and its bytes. better-sqlite3 binds a blob as SQLITE_TRANSIENT (SQLite
 * copies it) and pg serializes a statement's parameters into one message: statements of about
 * `FILE_CHUNK_BYTES` keep that much alive at a time instead of the whole file, in a few
 * statements rather than one per piece (an upload's pieces are ~64 KiB).
 *
 * @example
 * ```ts
 * await insertFile(trx, { id, session_id, message_id, position: 0, ...meta }, upload.chunks)
 * ```
 */
export async function insertFile(
  trx: Kysely<Database>,
  row: Omit<FilesTable, 'bytes_of'>,
  pieces: FilePieces,
): Promise<void> {
  await trx.insertInto('files').values(row).execute()
  let batch: FileRow[] = []
  let batchBytes = 0
  const flush = async () => {
    if (batch.length === 0) return
    await trx
      .insertInto('file_chunks')
      .values(batch.map(({ start, data }) => ({ file_id: row.id, start, data: toBuffer(data) })))
      .execute()
    batch = []
    batchBytes = 0
  }
  for (const chunk of fileRows(pieces)) {
    if (batchBytes + chunk.data.byteLength > FILE_CHUNK_BYTES) await flush()
    batch.push(chunk)
    batchBytes += chunk.data.byteLength
  }
  await flush()
}

/**
 * The bytes of `fileId` of `sessionId` (through the file that holds them), only the first
 * `maxBytes` when given; `undefined` when there is no such file.
 */
export async function readFileBytes(
  db: Kysely<Database>,
  sessionId: string,
  fileId: string,
  maxBytes?: number,
): Promise<Uint8Array | undefined> {
  const file = await db
    .selectFrom('files')
    .select((eb) => eb.fn.coalesce('bytes_of', 'id').as('holder'))
    .where('session_id', '=', sessionId)
    .where('id', '=', fileId)
    .executeTakeFirst()
  return file && readHeldBytes(db, file.holder, maxBytes)
}

/**
 * The bytes `holder` stores (a file's `coalesce(bytes_of, id)`), only the first `maxBytes` when
 * given, so that only the rows holding those leave the database.
 */
export async function readHeldBytes(
  db: Kysely<Database>,
  holder: string,
  maxBytes?: number,
): Promise<Uint8Array> {
  let rows = db
    .selectFrom('file_chunks')
    .select('data')
    .where('file_id', '=', holder)
    .orderBy('start')
  if (maxBytes !== undefined) rows = rows.where('start', '<', maxBytes)
  const bytes = joinPieces((await rows.execute()).map((row) => row.data))
  return maxBytes === undefined || bytes.byteLength <= maxBytes
    ? bytes
    : bytes.subarray(0, maxBytes)
}

/**
 * Gives the bytes held by `fromFileId` to `toFileId` (a fork's file that outlives the original),
 * without reading them: the rows change hands.
 */
export async function handOverChunks(
  trx: Kysely<Database>,
  fromFileId: string,
  toFileId: string,
): Promise<void> {
  await trx
    .updateTable('file_chunks')
    .set({ file_id: toFileId })
    .where('file_id', '=', fromFileId)
    .execute()
}
