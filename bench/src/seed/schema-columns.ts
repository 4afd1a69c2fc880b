/** A column of a table as the server's migrations made it. */
export interface SchemaColumn {
  name: string
  /** NOT NULL without a default: an insert must give it a value. */
  required: boolean
}

/**
 * Checks, against the schema the server's own migrations created (`schema`, the columns of
 * `table`), that `table` has every column the seed writes and that the seed leaves out no
 * column that needs a value. A change of schema then stops the bench with a clear message
 * instead of seeding rows the server reads differently.
 *
 * @example
 * ```ts
 * checkSeedColumns('sessions', SESSION_COLUMNS, [{ name: 'id', required: true }, …])
 * ```
 */
export function checkSeedColumns(
  table: string,
  written: readonly string[],
  schema: readonly SchemaColumn[],
): void {
  if (schema.length === 0) {
    throw new Error(`The server's schema has no table '${table}': did its migrations run?`)
  }
  const unknown = written.filter((name) => !schema.some((column) => column.name === name))
  const required = schema
    .filter((column) => column.required && !written.includes(column.name))
    .map((column) => column.name)
  if (unknown.length > 0 || required.length > 0) {
    throw new Error(
      `The seed no longer matches table '${table}' of the server's schema` +
        (unknown.length > 0 ? `; gone: ${unknown.join(', ')}` : '') +
        (required.length > 0 ? `; new and required: ${required.join(', ')}` : '') +
        '. Update bench/src/seed/seed-rows.ts.',
    )
  }
}
