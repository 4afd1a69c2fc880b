/**
 * Ids of seeded rows, computed from the row's index so that no run has to keep a list of a
 * million ids: the load generator derives the sessions it continues from their indexes. They
 * are valid UUIDs (version 4 and variant bits set) that sort in index order, as UUIDv7 ids
 * would, which keeps the bulk insert an append to every B-tree.
 */

const hex12 = (n: number) => n.toString(16).padStart(12, '0')

/**
 * The id of seeded session `index` (0 is the most recently updated).
 *
 * @example
 * ```ts
 * seedSessionId(255) // '5eed5e55-0000-4000-8000-0000000000ff'
 * ```
 */
export function seedSessionId(index: number): string {
  return `5eed5e55-0000-4000-8000-${hex12(index)}`
}

/** The id of message `position` (0–15) of seeded session `index`. */
export function seedMessageId(index: number, position: number): string {
  return `5eed3e55-0000-4000-8000-${hex12(index * 16 + position)}`
}

/** The one session with ten messages, the one `GET /sessions/{id}` reads. */
export const TEN_MESSAGE_SESSION_ID = '5eed5e55-1000-4000-8000-000000000000'

/** The id of message `position` of {@link TEN_MESSAGE_SESSION_ID}. */
export function tenMessageId(position: number): string {
  return `5eed3e55-1000-4000-8000-${hex12(position)}`
}
