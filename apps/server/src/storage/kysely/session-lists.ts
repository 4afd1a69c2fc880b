/**
 * What the lists of sessions share: the filters (archived, pinned, tags, metadata pairs) and
 * the activity of sessions read without their messages (count, latest message, its preview).
 */
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely'
import { messagePreview, PREVIEW_SOURCE_CHARACTERS } from '../../domain/message-preview.ts'
import type { SessionActivity, SessionFilter } from '../../domain/session-store.ts'
import type { Database } from './schema.ts'

/** What a list shows when asked for nothing in particular: the sessions not archived. */
export const UNARCHIVED: SessionFilter = { archived: false, tags: [], metadata: [] }

/**
 * `query` narrowed to the sessions `filter` lets through: one probe of `session_labels`' key
 * per tag and pair, for each session the recency index yields.
 *
 * @example
 * ```ts
 * filtered(db.selectFrom('sessions').selectAll(), { archived: false, tags: ['a'], metadata: [] })
 * ```
 */
export function filtered<O>(
  query: SelectQueryBuilder<Database, 'sessions', O>,
  filter: SessionFilter,
): SelectQueryBuilder<Database, 'sessions', O> {
  const labels: Array<['tag' | 'meta', string, string | undefined]> = [
    ...filter.tags.map((tag) => ['tag', tag, undefined] as ['tag', string, undefined]),
    ...filter.metadata.map(([key, value]) => ['meta', key, value] as ['meta', string, string]),
  ]
  let narrowed = query
    .where('sessions.archived', '=', filter.archived ? 1 : 0)
    .$if(filter.pinned !== undefined, (q) => q.where('sessions.pinned', '=', filter.pinned ? 1 : 0))
  for (const [kind, key, value] of labels)
    narrowed = narrowed.where((eb) =>
      eb.exists(
        eb
          .selectFrom('session_labels')
          .select('session_labels.session_id')
          .whereRef('session_labels.session_id', '=', 'sessions.id')
          .where('session_labels.kind', '=', kind)
          .where('session_labels.key', '=', key)
          .$if(value !== undefined, (q) => q.where('session_labels.value', '=', value as string)),
      ),
    )
  return narrowed
}

/**
 * The activity of each of the sessions: two queries whatever their number, the count and the
 * latest position from the messages' unique (session, position) index, then the latest
 * messages' first characters.
 */
export async function activityOf(
  db: Kysely<Database>,
  sessionIds: readonly string[],
): Promise<Map<string, SessionActivity>> {
  const activity = new Map<string, SessionActivity>(
    sessionIds.map((id) => [id, { messageCount: 0 }]),
  )
  if (sessionIds.length === 0) return activity
  const latest = await db
    .selectFrom('messages as m')
    .innerJoin(
      (eb) =>
        eb
          .selectFrom('messages')
          .select((inner) => [
            'session_id',
            inner.fn.countAll<number>().as('message_count'),
            inner.fn.max('position').as('last_position'),
          ])
          .where('session_id', 'in', sessionIds)
          .groupBy('session_id')
          .as('c'),
      (join) =>
        join.onRef('c.session_id', '=', 'm.session_id').onRef('c.last_position', '=', 'm.position'),
    )
    .select([
      'm.session_id',
      'm.created_at',
      'c.message_count',
      sql<string>`substr(m.text, 1, ${PREVIEW_SOURCE_CHARACTERS})`.as('start'),
    ])
    .execute()
  for (const row of latest)
    activity.set(row.session_id, {
      messageCount: Number(row.message_count),
      lastMessage: {
        createdAt: new Date(Number(row.created_at)),
        preview: messagePreview(row.start),
      },
    })
  return activity
}
