/**
 * A statement run in the statement that inserts a row, on both stores: how the store keeps
 * what a read wants on a session's row (`session-activity.ts`, `session-files-flag.ts`), so that
 * no write path, now or later, can forget it.
 */
import { type Kysely, sql } from 'kysely'
import type { Dialect } from './schema.ts'

/** The names the trigger goes by: SQLite's trigger, PostgreSQL's function and trigger. */
export interface InsertTriggerNames {
  sqliteTrigger: string
  postgresFunction: string
  postgresTrigger: string
}

/**
 * Creates a trigger that runs `statement` (which names the inserted row `NEW`) after each
 * insert into `table`.
 *
 * @example
 * ```ts
 * await createInsertTrigger(db, 'sqlite', 'files', names, 'UPDATE sessions SET … WHERE id = NEW.session_id')
 * ```
 */
export async function createInsertTrigger(
  db: Kysely<unknown>,
  dialect: Dialect,
  table: string,
  names: InsertTriggerNames,
  statement: string,
): Promise<void> {
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER ${names.sqliteTrigger} AFTER INSERT ON ${table} BEGIN
          ${statement};
        END`,
      )
      .execute(db)
    return
  }
  await sql
    .raw(
      `CREATE FUNCTION ${names.postgresFunction}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${statement};
        RETURN NULL;
      END
      $$`,
    )
    .execute(db)
  await sql
    .raw(`CREATE TRIGGER ${names.postgresTrigger} AFTER INSERT ON ${table}
      FOR EACH ROW EXECUTE FUNCTION ${names.postgresFunction}()`)
    .execute(db)
}
