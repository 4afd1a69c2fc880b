/**
 * A session's activity kept on its own row (migration 0050): how many messages it has and its
 * latest one by position (time, position and first characters), what a sidebar summary shows.
 * Measured (issue 21, docs/performance.md): looked up per session (a count and a latest row
 * through the messages' index), they were ~140 µs of an uncached grouped page of 100 on
 * SQLite, more than the statement of the sessions themselves.
 *
 * Kept by a trigger on `messages`, in the statement that inserts the message, on both stores:
 * no write path (a turn, a regenerated reply, an edit, a fork, an import, one added later) can
 * forget it. Messages are never updated in what it keeps (their text, time and position are
 * written once) nor deleted but with their session.
 */
import { type Kysely, sql } from 'kysely'
import { PREVIEW_SOURCE_CHARACTERS } from '../../domain/message-preview.ts'
import { createInsertTrigger } from './insert-trigger.ts'
import type { Dialect } from './schema.ts'

/**
 * The assignments of the `sessions` row at a new message `NEW`: one more message, and the
 * latest one replaced when the new one's position is past the kept one's. Both dialects read the
 * row's columns in a `SET` as they were before the update, and re-read them on the row they
 * lock (PostgreSQL), so two messages inserted at once keep the greater position's.
 */
const KEEP_ACTIVITY = `UPDATE sessions SET message_count = message_count + 1,
    last_message_at = CASE WHEN last_message_position IS NULL OR NEW.position > last_message_position
      THEN NEW.created_at ELSE last_message_at END,
    last_message_start = CASE WHEN last_message_position IS NULL OR NEW.position > last_message_position
      THEN substr(NEW.text, 1, ${PREVIEW_SOURCE_CHARACTERS}) ELSE last_message_start END,
    last_message_position = CASE WHEN last_message_position IS NULL OR NEW.position > last_message_position
      THEN NEW.position ELSE last_message_position END
  WHERE id = NEW.session_id`

/**
 * Adds the columns, fills them for the sessions there are and creates the trigger.
 *
 * @example
 * ```ts
 * await keepSessionActivity(db, 'sqlite') // migration 0050
 * ```
 */
export async function keepSessionActivity(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer'
  await sql
    .raw(`ALTER TABLE sessions ADD COLUMN message_count integer NOT NULL DEFAULT 0`)
    .execute(db)
  await sql.raw(`ALTER TABLE sessions ADD COLUMN last_message_at ${int64}`).execute(db)
  await sql.raw('ALTER TABLE sessions ADD COLUMN last_message_position integer').execute(db)
  await sql.raw('ALTER TABLE sessions ADD COLUMN last_message_start text').execute(db)
  // The messages' unique (session_id, position) index answers both lookups of each session.
  await sql`UPDATE sessions SET
      message_count = (SELECT count(*) FROM messages m WHERE m.session_id = sessions.id),
      last_message_position = (SELECT max(position) FROM messages m WHERE m.session_id = sessions.id)`.execute(
    db,
  )
  await sql`UPDATE sessions SET
      last_message_at = (SELECT created_at FROM messages m
        WHERE m.session_id = sessions.id AND m.position = sessions.last_message_position),
      last_message_start = (SELECT substr(text, 1, ${sql.lit(PREVIEW_SOURCE_CHARACTERS)}) FROM messages m
        WHERE m.session_id = sessions.id AND m.position = sessions.last_message_position)
    WHERE last_message_position IS NOT NULL`.execute(db)
  await createInsertTrigger(
    db,
    dialect,
    'messages',
    {
      sqliteTrigger: 'session_activity_message_insert',
      postgresFunction: 'keep_session_activity',
      postgresTrigger: 'messages_keep_session_activity',
    },
    KEEP_ACTIVITY,
  )
}
