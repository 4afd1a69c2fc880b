/**
 * The search part's store: conversations of {@link MESSAGES_PER_SESSION} messages of
 * {@link searchText}, named after their first prompt, one in five tagged `research` (blocks
 * of ten sessions), one in ten pinned and one in ten archived (as the read seed), either all one owner's or spread over
 * {@link SEARCH_OWNERS} owners, one of whom has the same history at every scale. The same rows for SQLite and PostgreSQL; ids as the read seed's.
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import { rankedWordCount } from '../../../apps/server/src/domain/search-rank.ts'
import { SEARCH_OWNER_RANGE } from '../../../apps/server/src/storage/kysely/migrations.ts'
import { searchText, searchTextLength } from './search-text.ts'
import { seedMessageId, seedSessionId } from './seed-ids.ts'
import type { MessageRow, SessionRow } from './seed-rows.ts'
import {
  benchOwner,
  MESSAGE_COLUMNS,
  SESSION_COLUMNS as SEED_SESSION_COLUMNS,
} from './seed-rows.ts'
import type { SeedReport } from './seed-store.ts'

/** Five turns a conversation: a million messages are 100,000 sessions. */
export const MESSAGES_PER_SESSION = 10
/**
 * Owners of the many-owners layout besides the searched one: every session the searched owner
 * does not have is owner `2 + i % 1,001`'s. Not 1,000: a multiple of 10 would give an owner only
 * sessions alike (pinned, archived and tagged follow the index modulo 10 and 5).
 */
export const OTHER_OWNERS = 1_001
/** All owners of the many-owners layout: the searched one and {@link OTHER_OWNERS}. */
export const SEARCH_OWNERS = OTHER_OWNERS + 1
/** The tag one session in five has, for the filtered rows. */
export const SEARCH_TAG = 'research'

/** One owner with every session, or {@link SEARCH_OWNERS} owners with a session in turn each. */
export type SearchLayout = 'one-owner' | 'many-owners'

/**
 * The owner the many-owners rows search as, bench owner 1: its first session (index 1) is
 * neither archived nor pinned, so it has hits from 10k messages on.
 */
export const SEARCHED_OWNER_INDEX = 1
/**
 * The searched owner's sessions: one in nine of the newest 1,000 (the 10k store's), 111
 * sessions and 1,110 messages at every scale, of every kind (pinned, archived, tagged, as
 * index modulo 10 and 5 cycle). The store grows by other owners' older sessions, so the 2×
 * rule of issue 17 compares the same owner's history in a store of 10k and of 1M messages:
 * what a search costs as the store grows around a user. (Before, the searched owner was one of
 * 1,001 alike, and its own history grew 100× with the store: 0-11 hits at 10k, 20 at 1M.)
 */
const SEARCHED_OWNER_SPAN = 1_000
const SEARCHED_OWNER_EVERY = 9

/**
 * The owner of session `index` in a layout.
 *
 * @example
 * ```ts
 * searchSessionOwner(1, 'many-owners') // 'bench-owner-1': the searched owner's
 * searchSessionOwner(5_000, 'many-owners') // another owner's: the store grows by others
 * ```
 */
export function searchSessionOwner(index: number, layout: SearchLayout): string {
  if (layout === 'one-owner') return 'anonymous'
  const searched = index < SEARCHED_OWNER_SPAN && index % SEARCHED_OWNER_EVERY === 1
  return benchOwner(
    searched ? SEARCHED_OWNER_INDEX : SEARCHED_OWNER_INDEX + 1 + (index % OTHER_OWNERS),
  )
}

export interface SearchSeedRange {
  /** First session index to write, and one past the last. */
  from: number
  to: number
  /** `updated_at` of session 0, in ms since the epoch. */
  newest: number
  layout: SearchLayout
}

/** A message with its count of the words search ranks by, as the server keeps it. */
type SearchMessage = MessageRow & { ranked_words: number }

interface SearchSession {
  session: SessionRow & { tags: string }
  messages: SearchMessage[]
  tagged: boolean
}

/** Sessions are an hour apart, newest first; messages a minute apart within one. */
const SPACING_MS = 60 * 60_000

function searchSession(index: number, range: SearchSeedRange): SearchSession {
  const updatedAt = range.newest - index * SPACING_MS
  const createdAt = updatedAt - MESSAGES_PER_SESSION * 60_000
  const id = seedSessionId(index)
  const messages: SearchMessage[] = []
  for (let position = 0; position < MESSAGES_PER_SESSION; position++) {
    const key = index * MESSAGES_PER_SESSION + position
    const text = searchText(key, searchTextLength(index, position))
    messages.push({
      id: seedMessageId(index, position),
      session_id: id,
      position,
      // One branch: each message answers the one before.
      parent_id: position === 0 ? null : seedMessageId(index, position - 1),
      role: position % 2 === 0 ? 'user' : 'assistant',
      text,
      ranked_words: rankedWordCount(text),
      created_at: createdAt + (position + 1) * 60_000,
    })
  }
  const first = messages[0]?.text ?? ''
  // Not by `index % 5`: pinned sessions (`index % 10 === 3`) would never be tagged.
  const tagged = Math.floor(index / 10) % 5 === 1
  return {
    session: {
      id,
      owner: searchSessionOwner(index, range.layout),
      agent_id: 'echo',
      name: first
        .split(' ')
        .slice(0, 6)
        .join(' ')
        .replace(/[.,?]$/u, ''),
      status: 'Ready',
      error_code: null,
      error_message: null,
      created_at: createdAt,
      updated_at: updatedAt,
      pinned: index % 10 === 3 ? 1 : 0,
      archived: index % 10 === 7 ? 1 : 0,
      active_leaf_id: seedMessageId(index, MESSAGES_PER_SESSION - 1),
      tags: tagged ? JSON.stringify([SEARCH_TAG]) : '[]',
    },
    messages,
    tagged,
  }
}

function* searchSessions(range: SearchSeedRange): Generator<SearchSession> {
  for (let index = range.from; index < range.to; index++) yield searchSession(index, range)
}

// The seed's columns, and the sessions' tags, which search filters on.
const SESSION_COLUMNS = [...SEED_SESSION_COLUMNS, 'tags'] as const
// The seed's message columns, and the count of words the server keeps with each message.
const SEARCH_MESSAGE_COLUMNS = [...MESSAGE_COLUMNS, 'ranked_words'] as const
const LABEL_COLUMNS = ['session_id', 'kind', 'key', 'value'] as const

const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`

/**
 * Indexes sessions `from`…`to - 1` and their messages for search in one statement each, as
 * the server's `0025_search` migration indexes the rows already there (each owner's keys
 * going down from the lowest of its range as rows are written, sessions then their messages,
 * the owner's word as `OWNER_TOKEN_SQL` writes it): per row, the triggers cost the seed ~3× as
 * long.
 */
function indexSearchRows(db: Database.Database, range: SearchSeedRange): void {
  const first = seedSessionId(range.from)
  const last = seedSessionId(range.to - 1)
  db.prepare(
    'INSERT OR IGNORE INTO search_owners (owner) SELECT DISTINCT owner FROM sessions WHERE id BETWEEN ? AND ?',
  ).run(first, last)
  db.prepare(
    `WITH written AS MATERIALIZED (
       SELECT 0 AS part, owner, id AS session_id, NULL AS message_id, 0 AS position
         FROM sessions WHERE id BETWEEN @first AND @last
       UNION ALL
       SELECT 1, sessions.owner, messages.session_id, messages.id, messages.position
         FROM messages JOIN sessions ON sessions.id = messages.session_id
         WHERE messages.session_id BETWEEN @first AND @last),
     lowest AS MATERIALIZED (
       SELECT owner, (SELECT coalesce(min(doc), (slot + 1) * @range) FROM search_docs
         WHERE doc >= slot * @range AND doc < (slot + 1) * @range) AS doc
       FROM search_owners WHERE owner IN (SELECT DISTINCT owner FROM written))
     INSERT INTO search_docs (doc, owner, session_id, message_id)
     SELECT lowest.doc - row_number() OVER (PARTITION BY written.owner
         ORDER BY written.part, written.session_id, written.position),
       written.owner, written.session_id, written.message_id
     FROM written JOIN lowest ON lowest.owner = written.owner`,
  ).run({ first, last, range: SEARCH_OWNER_RANGE })
  // In the keys' order (FTS5 writes out what it holds whenever a key is not above the last):
  // the rows walked by key, not sorted (a sort of every text spilled to temporary files).
  db.prepare(
    `INSERT INTO search_fts (rowid, body, owner)
     SELECT search_docs.doc,
       CASE WHEN search_docs.message_id IS NULL THEN sessions.name
         ELSE substr(messages.text, 1, 100000) END,
       lower(hex(search_docs.owner))
     FROM search_docs NOT INDEXED CROSS JOIN sessions ON sessions.id = search_docs.session_id
       LEFT JOIN messages ON messages.id = search_docs.message_id
     WHERE search_docs.session_id BETWEEN ? AND ?
     ORDER BY search_docs.doc`,
  ).run(first, last)
}

/**
 * Appends sessions `from`…`to - 1` to the server's SQLite file (stopped, migrated by the
 * server), in one transaction. The server's search triggers are taken out meanwhile and put
 * back as they were (their own SQL, from the schema); the rows are indexed in bulk instead.
 *
 * @example
 * ```ts
 * seedSearchSqlite(dbPath, { from: 0, to: 1_000, newest: Date.now(), layout: 'one-owner' })
 * ```
 */
export function seedSearchSqlite(dbPath: string, range: SearchSeedRange): SeedReport {
  const started = performance.now()
  const db = new Database(dbPath)
  try {
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('cache_size = -524288')
    const triggers = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'",
      )
      .all() as { name: string; sql: string }[]
    if (triggers.length === 0) throw new Error('The server made no search triggers: no index?')
    const insertSession = db.prepare(insertSql('sessions', SESSION_COLUMNS))
    const insertMessage = db.prepare(insertSql('messages', SEARCH_MESSAGE_COLUMNS))
    const insertLabel = db.prepare(insertSql('session_labels', LABEL_COLUMNS))
    let sessions = 0
    let messages = 0
    db.transaction(() => {
      for (const trigger of triggers) db.exec(`DROP TRIGGER ${trigger.name}`)
      for (const seeded of searchSessions(range)) {
        insertSession.run(...SESSION_COLUMNS.map((column) => seeded.session[column]))
        if (seeded.tagged) insertLabel.run(seeded.session.id, 'tag', SEARCH_TAG, '')
        for (const message of seeded.messages)
          insertMessage.run(...SEARCH_MESSAGE_COLUMNS.map((column) => message[column]))
        sessions += 1
        messages += seeded.messages.length
      }
      indexSearchRows(db, range)
      for (const trigger of triggers) db.exec(trigger.sql)
    })()
    db.pragma('journal_mode = WAL')
    return { sessions, messages, ms: performance.now() - started }
  } finally {
    db.close()
  }
}

const PG_TYPES: Record<string, string> = {
  position: 'integer',
  created_at: 'bigint',
  updated_at: 'bigint',
  pinned: 'integer',
  archived: 'integer',
  ranked_words: 'integer',
}
const unnestInsert = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${columns
    .map((column, i) => `$${i + 1}::${PG_TYPES[column] ?? 'text'}[]`)
    .join(', ')})`

/** Sessions per INSERT: 50,000 messages. */
const PG_BATCH = 5_000

/** The server's search index, as the seed fills it. */
const SEARCH_TABLE = 'search_entries'

/**
 * The same rows into the PostgreSQL database the server migrated, in one transaction: one
 * INSERT per table a batch (`unnest` of one array per column), without triggers
 * (`session_replication_role = replica`: a trigger per row, the search index's, the owner
 * versions' and the session activity's, would cost the seed several times its rows), then the
 * new sessions' activity and their search index filled in one statement each and the index's
 * indexes built after (dropped first: their definitions are the server's own, read back from
 * the catalog), and each new owner's version moved as the triggers would have. ANALYZEs (and
 * vacuums the search index) after.
 *
 * @example
 * ```ts
 * await seedSearchPostgres(url, { from: 0, to: 1_000, newest: Date.now(), layout: 'one-owner' })
 * ```
 */
export async function seedSearchPostgres(url: string, range: SearchSeedRange): Promise<SeedReport> {
  const started = performance.now()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = $1`,
      [SEARCH_TABLE],
    )
    if (indexes.length === 0) throw new Error('The server made no search index: no search?')
    await client.query('BEGIN')
    await client.query('SET LOCAL session_replication_role = replica')
    await client.query("SET LOCAL maintenance_work_mem = '256MB'")
    for (const index of indexes) await client.query(`DROP INDEX ${index.indexname}`)
    let sessions = 0
    let messages = 0
    const columns = {
      sessions: SESSION_COLUMNS.map(() => [] as unknown[]),
      messages: SEARCH_MESSAGE_COLUMNS.map(() => [] as unknown[]),
      labels: LABEL_COLUMNS.map(() => [] as unknown[]),
    }
    const flush = async () => {
      if ((columns.sessions[0]?.length ?? 0) === 0) return
      await client.query(unnestInsert('sessions', SESSION_COLUMNS), columns.sessions)
      await client.query(unnestInsert('session_labels', LABEL_COLUMNS), columns.labels)
      await client.query(unnestInsert('messages', SEARCH_MESSAGE_COLUMNS), columns.messages)
      for (const list of Object.values(columns)) for (const array of list) array.length = 0
    }
    const append = (arrays: unknown[][], values: readonly unknown[]) => {
      for (const [i, value] of values.entries()) arrays[i]?.push(value)
    }
    for (const seeded of searchSessions(range)) {
      append(
        columns.sessions,
        SESSION_COLUMNS.map((column) => seeded.session[column]),
      )
      if (seeded.tagged) append(columns.labels, [seeded.session.id, 'tag', SEARCH_TAG, ''])
      for (const message of seeded.messages)
        append(
          columns.messages,
          SEARCH_MESSAGE_COLUMNS.map((column) => message[column]),
        )
      sessions += 1
      messages += seeded.messages.length
      if ((columns.sessions[0]?.length ?? 0) >= PG_BATCH) await flush()
    }
    await flush()
    // Each new session's activity (count and latest message, migration 0050) as the server's
    // trigger on messages keeps it; 640 characters is its PREVIEW_SOURCE_CHARACTERS.
    const newRows = [seedSessionId(range.from), seedSessionId(range.to - 1)]
    await client.query(
      `UPDATE sessions SET message_count = latest.count, last_message_position = latest.position,
         last_message_at = messages.created_at, last_message_start = substr(messages.text, 1, 640)
       FROM (SELECT session_id, count(*) AS count, max(position) AS position FROM messages
             WHERE session_id BETWEEN $1 AND $2 GROUP BY session_id) AS latest
         JOIN messages ON messages.session_id = latest.session_id AND messages.position = latest.position
       WHERE sessions.id = latest.session_id`,
      newRows,
    )
    // As the server's 0024_search_entries fills the index for the rows already there, with
    // its own functions for the vector and the session's tags (0057); the new sessions' ids
    // are from..to - 1's, in order. In time order, as a live store's triggers append them
    // (a session's name, then its messages as they come): a walk of an owner's newest entries
    // then reads neighbouring rows, where the join's order scattered them (~3 entries a page
    // read at 1M; docs/performance.md, "PostgreSQL search: the walks at 1M").
    await client.query("SET LOCAL work_mem = '256MB'")
    await client.query(
      `INSERT INTO ${SEARCH_TABLE} (session_id, message_id, owner, at, vector, archived, tags)
       SELECT session_id, message_id, owner, at, search_entry_vector(text), archived,
         search_entry_tags(tags)
       FROM (
         SELECT id AS session_id, NULL AS message_id, owner, created_at AS at, name AS text,
           archived, tags
         FROM sessions WHERE id BETWEEN $1 AND $2
         UNION ALL
         SELECT messages.session_id, messages.id, sessions.owner, messages.created_at,
           messages.text, sessions.archived, sessions.tags
         FROM messages JOIN sessions ON sessions.id = messages.session_id
         WHERE sessions.id BETWEEN $1 AND $2
       ) AS written
       ORDER BY at, message_id NULLS FIRST`,
      newRows,
    )
    for (const index of indexes) await client.query(index.indexdef)
    await client.query(
      `INSERT INTO owner_versions AS kept (owner, slot, version)
       SELECT owner, 0, count(*) FROM sessions WHERE id BETWEEN $1 AND $2 GROUP BY owner
       ON CONFLICT (owner, slot) DO UPDATE SET version = kept.version + excluded.version`,
      newRows,
    )
    await client.query('COMMIT')
    await client.query('ANALYZE sessions, messages, session_labels')
    // Vacuumed too: the index's pages of a bulk load are all-visible only after a vacuum, which
    // a live store's autovacuum does every 10,000 entries (0051), and the walks' index-only
    // scans read a row for each entry on a page that is not.
    await client.query(`VACUUM (ANALYZE) ${SEARCH_TABLE}`)
    return { sessions, messages, ms: performance.now() - started }
  } finally {
    await client.end()
  }
}
