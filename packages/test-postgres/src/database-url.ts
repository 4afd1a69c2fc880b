/**
 * `url` with its database replaced by `database`: the same server, user and password.
 *
 * @example
 * ```ts
 * databaseUrl('postgres://postgres:postgres@127.0.0.1:5433/postgres', 'uxmate')
 * // 'postgres://postgres:postgres@127.0.0.1:5433/uxmate'
 * ```
 */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}
