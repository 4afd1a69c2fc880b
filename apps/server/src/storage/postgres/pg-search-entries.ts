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

/** Bits of an entry's signature of words: 64 bytes, beside each entry's key in the btree. */
const SIGNATURE_BITS = 512

/**
 * The signature of an entry's words (migration 0051): a Bloom filter of its lexemes, each
 * setting three of {@link SIGNATURE_BITS} bits taken from its 64-bit `hashtextextended`
 * (the hash PostgreSQL keeps stable for hash partitions, which pg_upgrade carries over). An
 * entry with every word of a query has every bit of the query's words' signature; one without
 * them has it too in ~0.1% of cases for a message of ~20 lexemes (~2% for 50, more as they
 * grow), and only those are checked against their vector.
 */
const SIGNATURE_FUNCTION = `CREATE FUNCTION search_entry_signature(tsvector)
  RETURNS bit(${SIGNATURE_BITS}) LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT coalesce(bit_or(
      (B'1'::bit(${SIGNATURE_BITS}) >> (hash & ${SIGNATURE_BITS - 1})::int)
      | (B'1'::bit(${SIGNATURE_BITS}) >> ((hash >> 9) & ${SIGNATURE_BITS - 1})::int)
      | (B'1'::bit(${SIGNATURE_BITS}) >> ((hash >> 18) & ${SIGNATURE_BITS - 1})::int)),
    B'0'::bit(${SIGNATURE_BITS}))
    FROM unnest(tsvector_to_array($1)) AS lexeme,
      LATERAL (SELECT hashtextextended(lexeme, 0) AS hash) AS hashed)`

/**
 * Gives each entry of `search_entries` the signature of its words (a generated column: the
 * triggers, the fill and a bulk load write it with the vector) and puts it, with the session,
 * beside the key of the btree on owner and time (migration 0051). A search's walk of an
 * owner's newest entries then reads the index only, and the row and vector of an entry whose
 * signature has the query's bits: at 1M messages a walk read a row for each entry (~1 µs each,
 * 17,000 for `design review`). Vacuumed every 10,000 new entries, so that the pages of the
 * newest entries, which a walk reads, are soon marked all-visible (an index-only scan reads the
 * row of an entry on a page that is not).
 */
export async function signSearchEntries(db: Kysely<unknown>): Promise<void> {
  await sql.raw(SIGNATURE_FUNCTION).execute(db)
  await sql`ALTER TABLE search_entries ADD COLUMN signature bit(${sql.lit(SIGNATURE_BITS)})
    GENERATED ALWAYS AS (search_entry_signature(vector)) STORED`.execute(db)
  await sql`CREATE INDEX search_entries_by_owner_recency_signed ON search_entries
    (owner, at DESC, message_id DESC NULLS LAST) INCLUDE (session_id, signature)`.execute(db)
  await sql`DROP INDEX search_entries_by_owner_recency`.execute(db)
  await sql`ALTER TABLE search_entries SET (autovacuum_vacuum_insert_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0)`.execute(db)
}

/** A session's tags (its `tags` column, a JSON array of strings) as the entries keep them. */
const TAGS_FUNCTION = `CREATE FUNCTION search_entry_tags(text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(SELECT jsonb_array_elements_text($1::jsonb))`

/**
 * Puts the filters of a search that a session's row answers (archived, tags) on each of its
 * entries (migration 0057), kept in step by the triggers in the transaction of every write: a
 * new entry takes its session's, and a change of a session's archived or tags rewrites its
 * entries' (an import inserts the session before its messages, which take it). A search then
 * tells an entry out by its own row, which a walk reads for its vector anyway, instead of a
 * probe of its session's row and labels for each match (~4 buffers; at 1M messages, 500-3,000
 * matches a search); and the btree on owner and time has them beside its key with the
 * signature, so that a walk that reads the index alone probes the vector only of the entries
 * the filters let through (a tag one session in five has: one in five). Entries of sessions
 * with neither are left as they are (the columns' defaults); the others are written again
 * here, once, with the btree dropped first and built after (measured at 1M messages in
 * docs/performance.md, "PostgreSQL search: filters on the entries").
 */
export async function keepSessionFiltersOnEntries(db: Kysely<unknown>): Promise<void> {
  await sql.raw(TAGS_FUNCTION).execute(db)
  await sql`ALTER TABLE search_entries ADD COLUMN archived integer NOT NULL DEFAULT 0,
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}'`.execute(db)
  // The btree is built again after the rows are written, with the filters beside its key.
  await sql`DROP INDEX search_entries_by_owner_recency_signed`.execute(db)
  await sql`UPDATE search_entries AS entry
    SET archived = sessions.archived, tags = search_entry_tags(sessions.tags)
    FROM sessions
    WHERE sessions.id = entry.session_id AND (sessions.archived <> 0 OR sessions.tags <> '[]')`.execute(
    db,
  )
  await sql`CREATE INDEX search_entries_by_owner_recency_filtered ON search_entries
    (owner, at DESC, message_id DESC NULLS LAST)
    INCLUDE (session_id, signature, archived, tags)`.execute(db)
  await sql
    .raw(`CREATE OR REPLACE FUNCTION search_entries_of_session() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_entries AS kept (session_id, message_id, owner, at, vector, archived, tags)
        VALUES (NEW.id, NULL, NEW.owner, NEW.created_at, search_entry_vector(NEW.name),
          NEW.archived, search_entry_tags(NEW.tags))
        ON CONFLICT (session_id) WHERE message_id IS NULL
        DO UPDATE SET owner = excluded.owner, at = excluded.at, vector = excluded.vector;
      RETURN NULL;
    END $$`)
    .execute(db)
  await sql
    .raw(`CREATE OR REPLACE FUNCTION search_entries_of_message() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_entries AS kept (session_id, message_id, owner, at, vector, archived, tags)
        SELECT NEW.session_id, NEW.id, sessions.owner, NEW.created_at,
          search_entry_vector(NEW.text), sessions.archived,
          CASE WHEN sessions.tags = '[]' THEN '{}' ELSE search_entry_tags(sessions.tags) END
        FROM sessions WHERE sessions.id = NEW.session_id
        ON CONFLICT (message_id)
        DO UPDATE SET at = excluded.at, vector = excluded.vector;
      RETURN NULL;
    END $$`)
    .execute(db)
  await sql
    .raw(`CREATE FUNCTION search_entries_of_session_filters() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE search_entries SET archived = NEW.archived, tags = search_entry_tags(NEW.tags)
        WHERE session_id = NEW.id;
      RETURN NULL;
    END $$`)
    .execute(db)
  await sql`CREATE TRIGGER search_entries_of_session_filters
    AFTER UPDATE OF archived, tags ON sessions
    FOR EACH ROW WHEN (OLD.archived IS DISTINCT FROM NEW.archived OR OLD.tags IS DISTINCT FROM NEW.tags)
    EXECUTE FUNCTION search_entries_of_session_filters()`.execute(db)
}
