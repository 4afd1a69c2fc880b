/**
 * PostgreSQL's search index: `search_entries`, a row per message and per session name with its
 * owner, its time and its `tsvector`, kept by triggers in the transaction of every write.
 *
 * Why a table of its own rather than a vector on `messages` (0025_search as it first was): GIN
 * has no order, so the newest matches of a common word took a read of every match and of its
 * session's row (170,000 at a million messages). With the owner and the time on the row, a
 * btree on (owner, time) walks an owner's entries newest first and stops when the window is
 * full (a few thousand rows for a word in one message in six), and the GIN index still serves
 * the rare words, whose matches are few; the planner picks by the words' statistics
 * (docs/performance.md, search).
 */
import { type Kysely, sql } from 'kysely'

/** The first characters of a message that search reads (a tsvector holds at most 1 MB). */
export const SEARCHED_CHARACTERS = 100_000

/**
 * The text as PostgreSQL's search reads it: the first characters, with the punctuation that its
 * parser would otherwise keep inside a token (hosts, paths, e-mail addresses, `3.14`, hyphenated
 * words) or leave out (`<tags>`, `&entities;`) made a space, so that it finds the same words as
 * FTS5's unicode61 tokenizer does.
 */
export const searchedText = (column: string) =>
  `translate(left(${column}, ${SEARCHED_CHARACTERS}), '.@/:_-<>&', '         ')`

/** The search vector of a column, in the `simple` configuration: no stemming, no stop words. */
export const searchVector = (column: string) =>
  `to_tsvector('simple'::regconfig, ${searchedText(column)})`

/** The indexes of `search_entries`, built after its first fill rather than row by row. */
const SEARCH_ENTRY_INDEXES: Readonly<Record<string, string>> = {
  // The owner's entries newest first, in the order the search answers its window in.
  search_entries_by_owner_recency:
    'CREATE INDEX search_entries_by_owner_recency ON search_entries (owner, at DESC, message_id DESC NULLS LAST)',
  // The words: a rare word's few matches, whoever's and whenever.
  search_entries_words: 'CREATE INDEX search_entries_words ON search_entries USING gin (vector)',
  // A message's entry, for its edit and its delete (the foreign key's cascade).
  search_entries_by_message:
    'CREATE UNIQUE INDEX search_entries_by_message ON search_entries (message_id)',
  // A session's name entry, for its rename; and all its entries, for its delete.
  search_entries_by_name:
    'CREATE UNIQUE INDEX search_entries_by_name ON search_entries (session_id) WHERE message_id IS NULL',
  search_entries_by_session:
    'CREATE INDEX search_entries_by_session ON search_entries (session_id)',
}

/**
 * Makes `search_entries`, fills it from the rows there, builds its indexes and adds the
 * triggers (migration 0024). Deletes need no trigger: the entries go with their message or
 * session by the foreign keys' cascade. A session's owner is never changed, so a session's
 * message entries need no update when its row changes; its name's entry is written again when
 * the name or the time changes.
 */
export async function createSearchEntries(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE search_entries (
      session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      message_id text REFERENCES messages (id) ON DELETE CASCADE,
      owner text NOT NULL,
      at bigint NOT NULL,
      vector tsvector NOT NULL
    )`.execute(db)
  // A search reads a few hundred rows: a parallel worker's start (~10 ms measured at 1M
  // messages, a rare word) would cost it more than it shares.
  await sql`ALTER TABLE search_entries SET (parallel_workers = 0)`.execute(db)
  // One function for the triggers, the fill and a bulk load (the bench's seed): the same words.
  await sql
    .raw(`CREATE FUNCTION search_entry_vector(text) RETURNS tsvector
      LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ${searchVector('$1')}`)
    .execute(db)
  await sql`INSERT INTO search_entries (session_id, message_id, owner, at, vector)
    SELECT id, NULL, owner, created_at, search_entry_vector(name) FROM sessions
    UNION ALL
    SELECT messages.session_id, messages.id, sessions.owner, messages.created_at,
      search_entry_vector(messages.text)
    FROM messages JOIN sessions ON sessions.id = messages.session_id`.execute(db)
  for (const index of Object.values(SEARCH_ENTRY_INDEXES)) await sql.raw(index).execute(db)
  await sql
    .raw(`CREATE FUNCTION search_entries_of_session() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_entries AS kept (session_id, message_id, owner, at, vector)
        VALUES (NEW.id, NULL, NEW.owner, NEW.created_at, search_entry_vector(NEW.name))
        ON CONFLICT (session_id) WHERE message_id IS NULL
        DO UPDATE SET owner = excluded.owner, at = excluded.at, vector = excluded.vector;
      RETURN NULL;
    END $$`)
    .execute(db)
  await sql
    .raw(`CREATE FUNCTION search_entries_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_entries AS kept (session_id, message_id, owner, at, vector)
        SELECT NEW.session_id, NEW.id, sessions.owner, NEW.created_at,
          search_entry_vector(NEW.text)
        FROM sessions WHERE sessions.id = NEW.session_id
        ON CONFLICT (message_id)
        DO UPDATE SET at = excluded.at, vector = excluded.vector;
      RETURN NULL;
    END $$`)
    .execute(db)
  await sql`CREATE TRIGGER search_entries_of_session
    AFTER INSERT OR UPDATE OF name, created_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION search_entries_of_session()`.execute(db)
  await sql`CREATE TRIGGER search_entries_of_message
    AFTER INSERT OR UPDATE OF text, created_at ON messages
    FOR EACH ROW EXECUTE FUNCTION search_entries_of_message()`.execute(db)
}

/**
 * Drops what 0025_search made for PostgreSQL, which `search_entries` replaces: the generated
 * vector of each message (computed again with every write) and the GIN indexes (migration
 * 0027). A store made before 0025_search existed never had them.
 */
export async function dropMessageVectors(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS sessions_name_search`.execute(db)
  await sql`DROP INDEX IF EXISTS messages_search`.execute(db)
  await sql`ALTER TABLE messages DROP COLUMN IF EXISTS search_vector`.execute(db)
}
