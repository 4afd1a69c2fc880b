import pg from 'pg'

/** int8 (BIGINT, COUNT(*)): the store's times and counters, well within a double's integers. */
const INT8_OID = 20

/**
 * Type parsers of this pool only (the `pg` module's global ones are left alone): BIGINT columns
 * come back as numbers, not strings.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}

export interface PgPoolOptions {
  connectionString: string
  /** Most connections open at once. */
  max?: number
  applicationName?: string
}

/** A pool on the database of `connectionString` (postgres://user:password@host:port/db?...). */
export function createPgPool(options: PgPoolOptions): pg.Pool {
  return new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    types,
    keepAlive: true,
    application_name: options.applicationName ?? 'uxmate-sessions',
    connectionTimeoutMillis: 10_000,
  })
}

/** A single connection (for LISTEN), with the same settings as the pool's. */
export function createPgClient(options: PgPoolOptions): pg.Client {
  return new pg.Client({
    connectionString: options.connectionString,
    types,
    keepAlive: true,
    application_name: options.applicationName ?? 'uxmate-sessions',
    connectionTimeoutMillis: 10_000,
  })
}
