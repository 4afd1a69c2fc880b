/**
 * The statements of a page of an agent's sessions and of the most recent sessions on
 * PostgreSQL, whatever columns they read: the records' reads (`pg-reads.ts`) and the JSON reads
 * (`pg-json-reads.ts`) filter, order and page the same way. Each statement is named by its
 * shape (which conditions, not their values), so that a connection prepares it once.
 */

import type { SessionCursor, SessionFilter } from '../../domain/session-store.ts'
import { UNARCHIVED } from '../kysely/session-lists.ts'
import { QUEUED_COLUMN_NAMES } from '../session-json.ts'

/**
 * What the session `s` holds, without its messages, as its row keeps it (migration 0050): their
 * count, and the latest one's time and first characters (null for a session without messages).
 */
export const ACTIVITY_COLUMNS = 's.message_count, s.last_message_at, s.last_message_start'

/**
 * The session `s`'s queued turns, oldest first, as one JSON array of rows of
 * `QUEUED_COLUMN_NAMES`; only read when it has some.
 */
export const QUEUED_OF_SESSION = `CASE WHEN s.queued_count > 0 THEN (SELECT json_agg(json_build_array(
    ${QUEUED_COLUMN_NAMES.map((name) => `q.${name}`).join(', ')}) ORDER BY q.created_at, q.id)
  FROM queued_turns q WHERE q.session_id = s.id) END`

/** A statement's text and parameters, and its name when its shape is one of few. */
export interface Statement {
  name?: string
  text: string
  values: unknown[]
}

/** More labels than this in one filter: a statement of its own, not prepared for reuse. */
const MOST_LABELS_PREPARED = 4

/**
 * The conditions of `filter` on the sessions `s`, their parameters added to `values`; and a
 * name for the shape (which conditions, not their values), to prepare it once.
 */
function filterOf(filter: SessionFilter, values: unknown[]): { where: string; shape: string } {
  const param = (value: unknown) => `$${values.push(value)}`
  // Literals, and a name a value. Archived: so that the generic plan of a page is priced as its
  // custom plans are (see `limitOf`); a parameter there is priced at the rows of an average
  // value, and PostgreSQL kept planning grouped pages again. Pinned: so that a plan prepared
  // for the pinned sessions may walk the index of those only
  // (`sessions_pinned_by_owner_recency`, migration 0052), which a condition on a parameter does
  // not prove a plan may use.
  let where = ` AND s.archived = ${filter.archived ? 1 : 0}`
  let shape = filter.archived ? 'x' : ''
  if (filter.pinned !== undefined) {
    where += ` AND s.pinned = ${filter.pinned ? 1 : 0}`
    shape += filter.pinned ? 'p' : 'u'
  }
  // One probe of session_labels' key per tag and pair, for each session the index yields.
  for (const tag of filter.tags) {
    where += ` AND EXISTS (SELECT 1 FROM session_labels l WHERE l.session_id = s.id
      AND l.kind = 'tag' AND l.key = ${param(tag)})`
    shape += 't'
  }
  for (const [key, value] of filter.metadata) {
    where += ` AND EXISTS (SELECT 1 FROM session_labels l WHERE l.session_id = s.id
      AND l.kind = 'meta' AND l.key = ${param(key)} AND l.value = ${param(value)})`
    shape += 'm'
  }
  return { where, shape }
}

/** `name` for a filter of few labels; none (a statement not kept) for one of many. */
const named = (filter: SessionFilter, name: string) =>
  filter.tags.length + filter.metadata.length <= MOST_LABELS_PREPARED ? { name } : {}

/**
 * `LIMIT` of `rows`, written into the statement (and so into its name) rather than passed as a
 * parameter. Why (issue 21, docs/performance.md): PostgreSQL prices a generic plan's
 * `LIMIT $n` at a tenth of the rows the index yields, so for an owner of many sessions the
 * generic plan looked ten times dearer than the custom ones and every execution of a prepared
 * page was planned again: a quarter of PostgreSQL's CPU a list page by `perf`. With the number
 * in the text, the generic plan costs what the custom ones do and PostgreSQL keeps it after its
 * fifth execution. A connection prepares one statement per shape and page size asked (page
 * sizes are at most 200 by openapi.yaml; a client asks for one or two).
 */
const limitOf = (rows: number): string => {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`a page of ${rows} rows`)
  return ` LIMIT ${rows}`
}

/**
 * A page of `owner`'s sessions with `agentId` after `after`, newest first, one more than
 * `limit` (to tell whether a page follows): `columns` of the sessions `s`.
 *
 * @example
 * ```ts
 * pool.query({ ...listStatement({ owner, agentId, limit: 50 }, 's.id', 'ids'), rowMode: 'array' })
 * ```
 */
export function listStatement(
  query: {
    owner: string
    agentId: string
    limit: number
    after?: SessionCursor
    filter?: SessionFilter
  },
  columns: string,
  kind: string,
): Statement {
  const { owner, agentId, limit, after, filter = UNARCHIVED } = query
  const values: unknown[] = [owner, agentId]
  const { where, shape } = filterOf(filter, values)
  let text = `SELECT ${columns} FROM sessions s
    WHERE s.owner = $1 AND s.agent_id = $2${where}`
  if (after) {
    values.push(after.updatedAt.getTime(), after.id)
    text += ` AND (s.updated_at, s.id) < ($${values.length - 1}, $${values.length})`
  }
  text += ` ORDER BY s.updated_at DESC, s.id DESC${limitOf(limit + 1)}`
  const name = `uxmate_list_${kind}${after ? 'c' : ''}${shape}_${limit}`
  return { ...named(filter, name), text, values }
}

/**
 * `owner`'s `limit` most recently updated sessions (of `agentId`, if given): `columns` of the
 * sessions `s`. Its parameters are added to `values` (a statement's own, unless given).
 *
 * @example
 * ```ts
 * pool.query({ ...recentStatement({ owner, limit: 100 }, 's.id', 'ids'), rowMode: 'array' })
 * ```
 */
export function recentStatement(
  query: { owner: string; agentId?: string; limit: number; filter?: SessionFilter },
  columns: string,
  kind: string,
  values: unknown[] = [],
): Statement {
  const { owner, agentId, limit, filter = UNARCHIVED } = query
  const param = (value: unknown) => `$${values.push(value)}`
  let text = `SELECT ${columns} FROM sessions s WHERE s.owner = ${param(owner)}`
  if (agentId !== undefined) text += ` AND s.agent_id = ${param(agentId)}`
  const { where, shape } = filterOf(filter, values)
  text += `${where} ORDER BY s.updated_at DESC, s.id DESC${limitOf(limit)}`
  const name = `uxmate_recent_${kind}${agentId !== undefined ? 'g' : ''}${shape}_${limit}`
  return { ...named(filter, name), text, values }
}

/**
 * The columns of a page's rows for {@link pageStatement}: `row` (one JSON value a session) and
 * what the page is ordered by.
 */
export const pageColumns = (row: string): string => `${row} AS j, s.updated_at AS u, s.id AS i`

/**
 * `statement` (of `listStatement` or `recentStatement`, its columns `pageColumns`) as one row
 * of one JSON array: the page's rows' `j`, newest first. Measured (issue 21,
 * docs/performance.md): `pg` reads a row at a time, and a grouped page of 100 rows cost our
 * process about a third more than the same rows as one value, PostgreSQL the same.
 *
 * @example
 * ```ts
 * pool.query({ ...pageStatement(recentStatement(recent, pageColumns('s.id'), 'ids')), rowMode: 'array' })
 * // rows: [[['id1', 'id2', …]]], or [[null]] for no sessions
 * ```
 */
export function pageStatement(statement: Statement): Statement {
  return {
    ...statement,
    ...(statement.name && { name: `${statement.name}_page` }),
    text: `SELECT json_agg(j ORDER BY u DESC, i DESC) FROM (${statement.text}) page`,
  }
}

/**
 * The pages of `recentStatement` for each of `filters` (columns `pageColumns`), as one
 * statement of one row: a column a filter, each the JSON array of `pageStatement`. Measured
 * (issue 21, docs/performance.md): a grouped page with its pinned group was two statements,
 * each a round trip and a connection of the pool; as one, our process spent 15-25% less on it.
 *
 * @example
 * ```ts
 * const pinned = { ...UNARCHIVED, pinned: true }
 * recentPagesStatement({ owner, limit: 100, filters: [pinned, UNARCHIVED] }, pageColumns('s.id'), 'ids')
 * ```
 */
export function recentPagesStatement(
  query: { owner: string; agentId?: string; limit: number; filters: readonly SessionFilter[] },
  columns: string,
  kind: string,
): Statement {
  const values: unknown[] = []
  const pages = query.filters.map((filter) =>
    pageStatement(recentStatement({ ...query, filter }, columns, kind, values)),
  )
  const names = pages.map((page) => page.name?.replace(/^uxmate_recent_/, ''))
  const text = `SELECT ${pages.map((page) => `(${page.text})`).join(', ')}`
  // The parts' names (each of few labels) after the prefix they share: at most 46 characters of
  // PostgreSQL's 63 for two (a longer name would be cut, and two statements could share it).
  return { ...(names.every(Boolean) && { name: `uxmate_pages_${names.join('+')}` }), text, values }
}
