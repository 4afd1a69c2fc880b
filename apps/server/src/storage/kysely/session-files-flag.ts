/**
 * Whether a session has ever had a file, kept on its row (`sessions.has_files`, migration
 * 0059): the JSON reads skip their files statement for a session, or a page of them, that has
 * none, which is most of them. Measured (issue 21, docs/performance.md, "The store path, round
 * of 4 December"): the files statement was ~5 µs of an uncached get and ~20 µs of a list page
 * of 50 on SQLite, answering no rows.
 *
 * Kept by a trigger on `files`, in the statement that inserts the file, on both stores: no
 * write path (a turn's upload, a fork's copies, an import) can forget it. It is never cleared:
 * a session whose files are gone still reads its (empty) files, which is correct, only slower.
 */
import { type Kysely, sql } from 'kysely'
import { createInsertTrigger } from './insert-trigger.ts'
import type { Dialect } from './schema.ts'

const FLAG_SESSION = 'UPDATE sessions SET has_files = 1 WHERE id = NEW.session_id AND has_files = 0'

/**
 * Adds the column, sets it for the sessions that have files and creates the trigger.
 *
 * @example
 * ```ts
 * await keepSessionFilesFlag(db, 'sqlite') // migration 0059
 * ```
 */
export async function keepSessionFilesFlag(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await sql.raw('ALTER TABLE sessions ADD COLUMN has_files integer NOT NULL DEFAULT 0').execute(db)
  // The files' (session_id, ...) index answers each session's lookup.
  await sql`UPDATE sessions SET has_files = 1
    WHERE EXISTS (SELECT 1 FROM files f WHERE f.session_id = sessions.id)`.execute(db)
  await createInsertTrigger(
    db,
    dialect,
    'files',
    {
      sqliteTrigger: 'session_files_flag_file_insert',
      postgresFunction: 'keep_session_files_flag',
      postgresTrigger: 'files_keep_session_files_flag',
    },
    FLAG_SESSION,
  )
}
