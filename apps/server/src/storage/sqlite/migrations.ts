/**
 * SQLite schema, one entry per version. Applied in order at start; never edit an applied entry,
 * add a new one.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'sessions, messages and files',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        name TEXT NOT NULL,
        routine_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('Ready', 'Running', 'Flushed')),
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- Keyset pagination of an agent's sessions and of everyone's, newest first.
      CREATE INDEX sessions_by_agent_recency ON sessions (agent_id, updated_at DESC, id DESC);
      CREATE INDEX sessions_by_recency ON sessions (updated_at DESC, id DESC);
      CREATE INDEX sessions_running ON sessions (status) WHERE status = 'Running';

      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (session_id, position)
      ) STRICT;

      CREATE TABLE files (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL
      ) STRICT;
      CREATE INDEX files_by_session ON files (session_id, message_id, position);
    `,
  },
  {
    version: 2,
    name: 'event ids of sessions',
    sql: `
      -- The last id given to an event of the session's runs (or reserved for the run going on).
      ALTER TABLE sessions ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 3,
    name: 'owners of sessions',
    sql: `
      -- Sessions from before API keys were open to all: they belong to the anonymous owner.
      ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT 'anonymous';
      -- Every list is one owner's: the recency indexes lead with the owner.
      DROP INDEX sessions_by_agent_recency;
      DROP INDEX sessions_by_recency;
      CREATE INDEX sessions_by_owner_agent_recency
        ON sessions (owner, agent_id, updated_at DESC, id DESC);
      CREATE INDEX sessions_by_owner_recency ON sessions (owner, updated_at DESC, id DESC);
    `,
  },
  {
    version: 4,
    name: 'idempotency keys',
    sql: `
      -- One row per (owner, Idempotency-Key): the request it was first used for (as a hash),
      -- and once answered, the answer to replay.
      CREATE TABLE idempotency_keys (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
        -- The session the request was about, so that deleting it deletes its stored answers.
        session_id TEXT,
        status INTEGER,
        headers TEXT,
        body BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, key)
      ) STRICT;
      CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
      CREATE INDEX idempotency_keys_by_session ON idempotency_keys (session_id)
        WHERE session_id IS NOT NULL;
    `,
  },
]
