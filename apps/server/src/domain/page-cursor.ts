import type { MessageCursor, SessionCursor } from './session-store.ts'

/** The furthest time from the epoch a Date holds. */
const MAX_DATE_MS = 8.64e15
/** The largest position of a message: the column is a 32-bit integer. */
const MAX_POSITION = 2 ** 31 - 1

/**
 * Cursors are opaque to clients: base64url of the last row's sort key. Decoding returns
 * undefined for anything this server did not make.
 *
 * @example
 * ```ts
 * decodeCursor(encodeCursor({ updatedAt: new Date(0), id: 'a' })) // { updatedAt: Date(0), id: 'a' }
 * ```
 */
export function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.updatedAt.getTime(), cursor.id])).toString('base64url')
}

export function decodeCursor(text: string): SessionCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 2) return undefined
    const [time, id] = value
    // A time a Date can hold (±8.64e15 ms), an id within ResourceId's length: anything else
    // would be an empty page on SQLite and NaN as a bigint parameter on PostgreSQL.
    if (!Number.isSafeInteger(time) || Math.abs(time) > MAX_DATE_MS) return undefined
    if (typeof id !== 'string' || id.length > 128) return undefined
    return { updatedAt: new Date(time), id }
  } catch {
    return undefined
  }
}

/**
 * A page of messages ends at a message's position; its order is part of the cursor, so that a
 * cursor of one order is not taken for the other's.
 *
 * @example
 * ```ts
 * decodeMessageCursor(encodeMessageCursor({ order: 'desc', position: 48 })) // the same
 * ```
 */
export function encodeMessageCursor(cursor: MessageCursor): string {
  return Buffer.from(`${cursor.order}:${cursor.position}`).toString('base64url')
}

export function decodeMessageCursor(text: string): MessageCursor | undefined {
  const match = /^(asc|desc):(0|[1-9]\d{0,14})$/.exec(Buffer.from(text, 'base64url').toString())
  if (!match) return undefined
  const position = Number(match[2])
  // Positions are a 32-bit integer column: a larger one would fail the query on PostgreSQL.
  if (position > MAX_POSITION) return undefined
  return { order: match[1] as MessageCursor['order'], position }
}
