/**
 * How SQLite plans search's candidate statement: FTS5 bounded by the owner's range of keys,
 * and each candidate's session checked for the default filter in `sessions_search_filter`
 * alone (migration 0061). The hits themselves are `test/search.test.ts`'s.
 */
import { Kysely, SqliteDialect } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migratedSqlite, planOfPrepared } from '../../../test/support/sqlite-plans.ts'
import { parseSearchQuery, type SearchQuery } from '../../domain/search-query.ts'
import type { SessionFilter } from '../../domain/session-store.ts'
import { createSearch } from './kysely-search.ts'
import type { Database as Schema } from './schema.ts'

const database = migratedSqlite()

/** SQLite's plan of the candidate statement a search with `filter` runs. */
function planOfCandidates(filter?: SessionFilter): Promise<string> {
  const query = parseSearchQuery('wombat ') as SearchQuery
  return planOfPrepared(
    database(),
    (watched) => {
      const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: watched }) })
      const search = createSearch(db, 'sqlite', async () => [])
      return search({ owner: 'alice', query, ...(filter && { filter }), limit: 20, offset: 0 })
    },
    (sql) => sql.includes('search_fts MATCH'),
  )
}

describe("SQLite search's candidate statement", () => {
  it("gives FTS5 the owner's range of keys as bounds of the rowid", async () => {
    // FTS5's plan names its constraints: M a MATCH, > and < the rowid's bounds.
    expect(await planOfCandidates()).toMatch(/SCAN search_fts VIRTUAL TABLE INDEX \d+:M\d*></)
  })

  it("checks each candidate's session for the default filter in one index", async () => {
    expect(await planOfCandidates()).toContain(
      'SEARCH sessions EXISTS USING COVERING INDEX sessions_search_filter',
    )
  })

  it('reads the session for a filter that index does not hold', async () => {
    const pinned: SessionFilter = { archived: false, pinned: true, tags: [], metadata: [] }
    expect(await planOfCandidates(pinned)).not.toContain('COVERING INDEX sessions_search_filter')
  })
})
