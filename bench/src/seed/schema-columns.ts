import type Database from 'better-sqlite3'

interface ColumnInfo {
  name: string
  notnull: number
  dflt_value: unknown
  pk: number
}

/**
 * Checks, against the schema the server's own migrations created, that `table` has every
 * column the seed writes and that the seed leaves out no column that needs a value. A change
 * of schema then stops the bench with a clear message instead of seeding rows the server reads
 * differently.
 *
 * @example
 * ```ts
 * checkInsertColumns(db, 'sessions', ['id', 'agent_id', 'name', 'status', 'created_at', 'updated_at'])
 * ```
 */
export function checkInsertColumns(
  db: Database.Database,
  table: string,
  columns: readonly string[],
): void {
  const info = db.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as ColumnInfo[]
  if (info.length === 0) {
    throw new Error(`The server's schema has no table '${table}': did its migrations run?`)
  }
  const known = new Set(info.map((column) => column.name))
  const unknown = columns.filter((column) => !known.has(column))
  const required = info
    .filter((column) => column.notnull === 1 && column.dflt_value === null)
    .map((column) => column.name)
    .filter((name) => !columns.includes(name))
  if (unknown.length > 0 || required.length > 0) {
    throw new Error(
      `The seed no longer matches table '${table}' of the server's schema` +
        (unknown.length > 0 ? `; gone: ${unknown.join(', ')}` : '') +
        (required.length > 0 ? `; new and required: ${required.join(', ')}` : '') +
        '. Update bench/src/seed/seed-store.ts.',
    )
  }
}
