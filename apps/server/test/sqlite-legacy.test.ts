/**
 * A SQLite database made before the store moved to Kysely (its own schema_migrations table) is
 * taken over as it is: no table made twice, every row kept.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'

/** The schema as the hand-written migrations 1 and 2 made it, with a session. */
const LEGACY_SCHEMA = `
  CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, name TEXT NOT NULL, routine_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('Ready', 'Running', 'Flushed')),
    error_code TEXT, error_message TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX sessions_by_agent_recency ON sessions (agent_id, updated_at DESC, id DESC);
  CREATE INDEX sessions_by_recency ON sessions (updated_at DESC, id DESC);
  CREATE INDEX sessions_running ON sessions (status) WHERE status = 'Running';
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (session_id, position)
  ) STRICT;
  CREATE TABLE files (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, name TEXT NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL
  ) STRICT;
  CREATE INDEX files_by_session ON files (session_id, message_id, position);
  ALTER TABLE sessions ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
  INSERT INTO schema_migrations VALUES (1, 'sessions, messages and files', 0);
  INSERT INTO schema_migrations VALUES (2, 'event ids of sessions', 0);
  INSERT INTO sessions VALUES ('s1', 'echo', 'Old', NULL, 'Ready', NULL, NULL, 1000, 2000, 7);
  INSERT INTO messages VALUES ('m1', 's1', 0, 'user', 'hello', 1000);
  INSERT INTO files VALUES ('f1', 's1', 'm1', 0, 'a.txt', 'text/plain', 2, 'x', x'6869');
`

/** What the hand-written migrations 3 and 4 added. */
const LEGACY_3_4 = `
  ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT 'anonymous';
  DROP INDEX sessions_by_agent_recency;
  DROP INDEX sessions_by_recency;
  CREATE INDEX sessions_by_owner_agent_recency
    ON sessions (owner, agent_id, updated_at DESC, id DESC);
  CREATE INDEX sessions_by_owner_recency ON sessions (owner, updated_at DESC, id DESC);
  CREATE TABLE idempotency_keys (
    owner TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    session_id TEXT, status INTEGER, headers TEXT, body BLOB, created_at INTEGER NOT NULL,
    PRIMARY KEY (owner, key)
  ) STRICT;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  CREATE INDEX idempotency_keys_by_session ON idempotency_keys (session_id)
    WHERE session_id IS NOT NULL;
  INSERT INTO schema_migrations VALUES (3, 'owners of sessions', 0);
  INSERT INTO schema_migrations VALUES (4, 'idempotency keys', 0);
  UPDATE sessions SET owner = 'bob';
`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-legacy-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

it.each([
  ['1 and 2', LEGACY_SCHEMA, 'anonymous'],
  ['1 to 4', LEGACY_SCHEMA + LEGACY_3_4, 'bob'],
])('takes over a database made by the hand-written migrations %s', async (_, schema, owner) => {
  const path = join(dir, 'uxmate.sqlite')
  const legacy = new Database(path)
  legacy.exec(schema)
  legacy.close()

  const store = openSqliteStore(path)
  await store.migrate()
  await store.checkReady()
  expect(await store.getSession(owner, 's1')).toMatchObject({
    name: 'Old',
    status: 'Ready',
    lastEventId: 7,
    updatedAt: new Date(2000),
    run: null,
    messages: [{ id: 'm1', text: 'hello', files: [{ id: 'f1', name: 'a.txt', size: 2 }] }],
  })
  expect(new TextDecoder().decode(await store.readFileBytes('s1', 'f1'))).toBe('hi')
  // The session goes on, with the columns the later migrations added.
  const next = await store.startTurn({
    owner,
    sessionId: 's1',
    now: new Date(3000),
    message: { id: 'm2', text: 'again' },
    run: { runId: 'r', instance: 'i', leaseExpiresAt: new Date(4000) },
  })
  expect(next).toMatchObject({ status: 'Running', run: { runId: 'r' } })
  await store.close()
})
