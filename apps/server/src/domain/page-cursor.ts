import type { SessionCursor } from './session-store.ts'

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
    if (!Number.isSafeInteger(time) || typeof id !== 'string') return undefined
    return { updatedAt: new Date(time), id }
  } catch {
    return undefined
  }
}
