/**
 * Cursor pagination: `get_sessions` answers a page and, when more follow, a `next_cursor` to
 * pass back as `cursor`.
 */
import { UxmateError } from './errors.ts'

/**
 * Yields page after page, asking for the next one only when the consumer wants it (a `break`
 * stops the requests), until a page comes without `next_cursor`.
 *
 * @example
 * ```ts
 * for await (const page of paginate((cursor) => sessions.getSessions({ agent_id: 'echo', cursor }))) {
 *   console.log(page.sessions.length)
 * }
 * ```
 */
export async function* paginate<Page extends { next_cursor?: string }>(
  fetchPage: (cursor: string | undefined) => Promise<Page>,
  firstCursor?: string,
): AsyncGenerator<Page, void, undefined> {
  const seen = new Set<string>()
  let cursor = firstCursor
  while (true) {
    const page = await fetchPage(cursor)
    yield page
    const next = page.next_cursor
    if (next === undefined || next === '') return
    // A server that hands out a cursor twice would otherwise be paged forever.
    if (seen.has(next)) throw new UxmateError(`Pagination returned the cursor ${next} twice`)
    seen.add(next)
    cursor = next
  }
}
