/**
 * The schema, one Kysely migration per step, for SQLite and PostgreSQL alike: the same tables,
 * with each dialect's types where they differ (BLOB or bytea; INTEGER or BIGINT for times).
 * Applied in name order, at start and by `pnpm --filter @uxmate/server migrate`; never edit an
 * applied one, add a new one.
 */
import { type ColumnDataType, type CreateTableBuilder, type Kysely, sql } from 'kysely'
import type { Migration, MigrationProvider } from 'kysely/migration'
import { createOwnerVersions, spreadOwnerVersions } from '../postgres/owner-versions.ts'
import {
  createSearchEntries,
  dropMessageVectors,
  keepSessionFiltersOnEntries,
  SEARCHED_CHARACTERS,
  searchVector,
  signSearchEntries,
} from '../postgres/pg-search-entries.ts'
import { addRankedWords } from './ranked-words.ts'
import type { Dialect } from './schema.ts'
import { keepSessionActivity } from './session-activity.ts'
import { keepSessionFilesFlag } from './session-files-flag.ts'

/** Column types that differ between the dialects. */
function typesOf(dialect: Dialect) {
  return {
    /** Whole milliseconds since the epoch, counters, sizes: 64 bits. */
    int64: (dialect === 'postgres' ? 'bigint' : 'integer') as ColumnDataType,
    bytes: (dialect === 'postgres' ? 'bytea' : 'blob') as ColumnDataType,
  }
}

/** SQLite tables are STRICT: a value of the wrong type is an error, not silently kept. */
function strictIn<T extends string, C extends string>(
  dialect: Dialect,
): (table: CreateTableBuilder<T, C>) => CreateTableBuilder<T, C> {
  return (table) => (dialect === 'sqlite' ? table.modifyEnd(sql` strict`) : table)
}

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then, untyped.
type AnyDb = Kysely<any>

/** The migrations of one dialect, by name. */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  const { int64, bytes } = typesOf(dialect)
  const strict = strictIn(dialect)
  return {
    '0001_sessions_messages_files': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('agent_id', 'text', (col) => col.notNull())
          .addColumn('name', 'text', (col) => col.notNull())
          .addColumn('routine_id', 'text')
          .addColumn('status', 'text', (col) =>
            col.notNull().check(sql`status IN ('Ready', 'Running', 'Flushed')`),
          )
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('created_at', int64, (col) => col.notNull())
          .addColumn('updated_at', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
        // Keyset pagination of an agent's sessions and of everyone's, newest first.
        await db.schema
          .createIndex('sessions_by_agent_recency')
          .on('sessions')
          .columns(['agent_id', 'updated_at desc', 'id desc'])
          .execute()
        await db.schema
          .createIndex('sessions_by_recency')
          .on('sessions')
          .columns(['updated_at desc', 'id desc'])
          .execute()
        await db.schema
          .createIndex('sessions_running')
          .on('sessions')
          .column('status')
          .where(sql.ref('status'), '=', 'Running')
          .execute()

        await db.schema
          .createTable('messages')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('position', 'integer', (col) => col.notNull())
          .addColumn('role', 'text', (col) =>
            col.notNull().check(sql`role IN ('user', 'assistant')`),
          )
          .addColumn('text', 'text', (col) => col.notNull())
          .addColumn('created_at', int64, (col) => col.notNull())
          .addUniqueConstraint('messages_session_position', ['session_id', 'position'])
          .$call(strict)
          .execute()

        await db.schema
          .createTable('files')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('message_id', 'text', (col) =>
            col.notNull().references('messages.id').onDelete('cascade'),
          )
          .addColumn('position', 'integer', (col) => col.notNull())
          .addColumn('name', 'text', (col) => col.notNull())
          .addColumn('content_type', 'text', (col) => col.notNull())
          .addColumn('size', int64, (col) => col.notNull())
          .addColumn('sha256', 'text', (col) => col.notNull())
          .addColumn('data', bytes, (col) => col.notNull())
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('files_by_session')
          .on('files')
          .columns(['session_id', 'message_id', 'position'])
          .execute()
      },
    },

    '0002_event_ids': {
      async up(db: AnyDb) {
        // The last id given to an event of the session's runs (or reserved for the run going on).
        await db.schema
          .alterTable('sessions')
          .addColumn('event_seq', int64, (col) => col.notNull().defaultTo(0))
          .execute()
      },
    },

    '0003_owners': {
      async up(db: AnyDb) {
        // Sessions from before API keys were open to all: they belong to the anonymous owner.
        await db.schema
          .alterTable('sessions')
          .addColumn('owner', 'text', (col) => col.notNull().defaultTo('anonymous'))
          .execute()
        // Every list is one owner's: the recency indexes lead with the owner.
        await db.schema.dropIndex('sessions_by_agent_recency').execute()
        await db.schema.dropIndex('sessions_by_recency').execute()
        await db.schema
          .createIndex('sessions_by_owner_agent_recency')
          .on('sessions')
          .columns(['owner', 'agent_id', 'updated_at desc', 'id desc'])
          .execute()
        await db.schema
          .createIndex('sessions_by_owner_recency')
          .on('sessions')
          .columns(['owner', 'updated_at desc', 'id desc'])
          .execute()
      },
    },

    '0004_idempotency_keys': {
      async up(db: AnyDb) {
        // One row per (owner, Idempotency-Key): the request it was first used for (as a hash),
        // and once answered, the answer to replay.
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('key', 'text', (col) => col.notNull())
          .addColumn('fingerprint', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) =>
            col.notNull().check(sql`state IN ('in_flight', 'done')`),
          )
          // The session the request was about, so that deleting it deletes its stored answers.
          .addColumn('session_id', 'text')
          .addColumn('status', 'integer')
          .addColumn('headers', 'text')
          .addColumn('body', bytes)
          .addColumn('created_at', int64, (col) => col.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['owner', 'key'])
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('idempotency_keys_by_age')
          .on('idempotency_keys')
          .column('created_at')
          .execute()
        await db.schema
          .createIndex('idempotency_keys_by_session')
          .on('idempotency_keys')
          .column('session_id')
          .where(sql.ref('session_id'), 'is not', null)
          .execute()
      },
    },

    '0005_run_leases_and_events': {
      async up(db: AnyDb) {
        // Who runs the session's run, and until when: another instance flushes a run whose
        // lease ran out (its instance died). The id lets only that run record its end.
        for (const [column, type] of [
          ['run_id', 'text'],
          ['run_instance', 'text'],
          ['run_lease_expires_at', int64],
        ] as const) {
          await db.schema.alterTable('sessions').addColumn(column, type).execute()
        }
        // The events of each session's latest run, for the event streams of other instances.
        await db.schema
          .createTable('run_events')
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('id', int64, (col) => col.notNull())
          .addColumn('event', 'text', (col) => col.notNull())
          .addColumn('created_at', int64, (col) => col.notNull())
          .addPrimaryKeyConstraint('run_events_pk', ['session_id', 'id'])
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('run_events_by_age')
          .on('run_events')
          .column('created_at')
          .execute()
      },
    },

    '0006_run_event_fence': {
      async up(db: AnyDb) {
        // Run events name their run, and a flush fences off the flushed run's ids: the late
        // events of a run whose instance was cut off never reach a newer run's streams.
        await db.schema.alterTable('run_events').addColumn('run_id', 'text').execute()
        await db.schema
          .alterTable('sessions')
          .addColumn('event_fence', int64, (col) => col.notNull().defaultTo(0))
          .execute()
      },
    },

    '0007_idempotency_outcomes': {
      async up(db: AnyDb) {
        // A key is now taken by the transaction of its request's work, and its row says what
        // that work did until the answer is stored: what a retry does again before answering.
        await db.schema.alterTable('idempotency_keys').addColumn('after_write', 'text').execute()
        // A rating's message, whose rating its answer shows.
        await db.schema.alterTable('idempotency_keys').addColumn('message_id', 'text').execute()
        // Claims made before a request's work, by the version before: a request still holding
        // one is gone (or answers without it), and its key may be used again.
        await db.deleteFrom('idempotency_keys').where('state', '=', 'in_flight').execute()
      },
    },

    '0008_rate_buckets': {
      async up(db: AnyDb) {
        // Each owner's request budget, shared by the instances on PostgreSQL: they take its
        // tokens a batch at a time. (SQLite has one process, which counts exactly in memory:
        // the table stays empty there.)
        await db.schema
          .createTable('rate_buckets')
          .addColumn('owner', 'text', (col) => col.primaryKey())
          .addColumn('tokens', dialect === 'postgres' ? 'double precision' : 'real', (col) =>
            col.notNull(),
          )
          .addColumn('at', int64, (col) => col.notNull())
          .addColumn('granted', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
      },
    },

    '0010_token_usage': {
      async up(db: AnyDb) {
        // What the model used to write each assistant message (none for agents without one).
        for (const column of ['input_tokens', 'output_tokens', 'cached_tokens']) {
          await db.schema.alterTable('messages').addColumn(column, int64).execute()
        }
        await db.schema.alterTable('messages').addColumn('usage_estimated', 'integer').execute()
        // Each session's totals over all its model calls, kept as the calls are recorded.
        for (const column of [
          'model_calls',
          'input_tokens',
          'output_tokens',
          'cached_tokens',
          'usage_estimated',
        ]) {
          await db.schema
            .alterTable('sessions')
            .addColumn(column, int64, (col) => col.notNull().defaultTo(0))
            .execute()
        }
        // One row per model call, for the usage report: no foreign key, so that what was used
        // stays on record when its session is deleted (counts only, nothing of the content).
        await db.schema
          .createTable('model_usage')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('session_id', 'text', (col) => col.notNull())
          .addColumn('agent_id', 'text', (col) => col.notNull())
          .addColumn('run_id', 'text', (col) => col.notNull())
          .addColumn('kind', 'text', (col) =>
            col.notNull().check(sql`kind IN ('reply', 'title', 'compaction')`),
          )
          .addColumn('input_tokens', int64, (col) => col.notNull())
          .addColumn('output_tokens', int64, (col) => col.notNull())
          .addColumn('cached_tokens', int64, (col) => col.notNull())
          .addColumn('estimated', 'integer', (col) => col.notNull())
          .addColumn('created_at', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('model_usage_by_owner_time')
          .on('model_usage')
          .columns(['owner', 'created_at'])
          .execute()
        // The summary of a long conversation's older turns, sent to the model instead of them.
        await db.schema
          .createTable('session_compactions')
          .addColumn('session_id', 'text', (col) =>
            col.primaryKey().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('through_message_id', 'text', (col) => col.notNull())
          .addColumn('summary', 'text', (col) => col.notNull())
          .addColumn('summary_tokens', int64, (col) => col.notNull())
          .addColumn('created_at', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
      },
    },

    '0011_branched_sessions': {
      async up(db: AnyDb) {
        // Whether a session's messages are still one chain (see SessionsTable.branched): its
        // active branch is then read as a range of positions, not walked up from its leaf.
        await db.schema
          .alterTable('sessions')
          .addColumn('branched', 'integer', (col) => col.notNull().defaultTo(0))
          .execute()
        // Applied after the message tree (a store made before this one): its sessions with
        // siblings. Before it (a new store), there are no messages to look at.
        const tables = await db.introspection.getTables()
        const messages = tables.find((table) => table.name === 'messages')
        if (messages?.columns.some((column) => column.name === 'parent_id'))
          await sql`UPDATE sessions SET branched = 1 WHERE id IN (
              SELECT session_id FROM messages GROUP BY session_id, parent_id HAVING COUNT(*) > 1)`.execute(
            db,
          )
      },
    },

    '0020_session_organise': {
      async up(db: AnyDb) {
        // What a user does to organise a sidebar: pin, archive, tags and metadata (as JSON, read
        // with the session's row).
        for (const column of ['pinned', 'archived']) {
          await db.schema
            .alterTable('sessions')
            .addColumn(column, 'integer', (col) => col.notNull().defaultTo(0))
            .execute()
        }
        await db.schema
          .alterTable('sessions')
          .addColumn('tags', 'text', (col) => col.notNull().defaultTo('[]'))
          .execute()
        await db.schema
          .alterTable('sessions')
          .addColumn('metadata', 'text', (col) => col.notNull().defaultTo('{}'))
          .execute()
        // The same tags and pairs a row each, for the filters of the lists (`tag`, `metadata`):
        // a filtered page probes the primary key once per candidate session.
        await db.schema
          .createTable('session_labels')
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind IN ('tag', 'meta')`))
          .addColumn('key', 'text', (col) => col.notNull())
          .addColumn('value', 'text', (col) => col.notNull())
          .addPrimaryKeyConstraint('session_labels_pk', ['session_id', 'kind', 'key'])
          .$call(strict)
          .execute()
      },
    },

    '0021_search_by_owner': {
      async up(db: AnyDb) {
        // SQLite's search index gained the owner as a column of its own (see
        // sqliteSearchIndex), so that a search reads only the owner's rows of the index. A store
        // that ran 0025_search before that is rebuilt here; a new store runs this before
        // 0025_search, finds no index yet, and gets the new one from 0025_search itself.
        if (dialect === 'sqlite') await rebuildOutdatedSqliteSearch(db)
      },
    },

    '0022_search_newest_first': {
      async up(db: AnyDb) {
        // Then its keys were made to go down as rows are written (see sqliteSearchIndex): a
        // store whose index was made with keys going up, by 0021 or 0025 in between, is
        // rebuilt the same way.
        if (dialect === 'sqlite') await rebuildOutdatedSqliteSearch(db)
      },
    },

    '0023_search_longer_prefixes': {
      async up(db: AnyDb) {
        // Then it indexed prefixes of 2 to 8 letters, not 2 and 3 only (see
        // SQLITE_SEARCH_PREFIXES): a store whose index has the old ones is rebuilt the same way.
        if (dialect === 'sqlite') await rebuildOutdatedSqliteSearch(db)
      },
    },

    '0024_search_entries': {
      async up(db: AnyDb) {
        // PostgreSQL's search index as a table of its own, with each entry's owner and time
        // (see pg-search-entries.ts); 0027 drops what 0025_search made before it.
        if (dialect === 'postgres') await createSearchEntries(db)
      },
    },

    '0025_search': {
      async up(db: AnyDb) {
        if (dialect === 'sqlite') await sqliteSearchIndex(db)
        else await postgresSearchIndex(db)
      },
    },

    '0026_message_feedback': {
      async up(db: AnyDb) {
        // A user's rating of a reply, gone with its message or session; the owner and agent
        // are copied in so that an agent's ratings are listed by one index, newest first.
        await db.schema
          .createTable('message_feedback')
          .addColumn('message_id', 'text', (col) =>
            col.primaryKey().references('messages.id').onDelete('cascade'),
          )
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('agent_id', 'text', (col) => col.notNull())
          .addColumn('rating', 'text', (col) => col.notNull().check(sql`rating IN ('up', 'down')`))
          .addColumn('comment', 'text')
          .addColumn('created_at', int64, (col) => col.notNull())
          .addColumn('updated_at', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('message_feedback_by_agent_time')
          .on('message_feedback')
          .columns(['owner', 'agent_id', 'updated_at desc', 'message_id desc'])
          .execute()
        await db.schema
          .createIndex('message_feedback_by_session')
          .on('message_feedback')
          .column('session_id')
          .execute()
      },
    },

    '0027_search_entries_only': {
      async up(db: AnyDb) {
        if (dialect === 'postgres') await dropMessageVectors(db)
      },
    },

    '0030_message_tree': {
      async up(db: AnyDb) {
        // Each message answers its parent (null for a first message); a session's messages are
        // a tree, and the session shows the branch from a root down to its active leaf.
        await db.schema.alterTable('messages').addColumn('parent_id', 'text').execute()
        await db.schema.alterTable('sessions').addColumn('active_leaf_id', 'text').execute()
        // What was stored before is one conversation: each message answers the one before it.
        await sql`UPDATE messages SET parent_id = (
            SELECT p.id FROM messages p
            WHERE p.session_id = messages.session_id AND p.position < messages.position
            ORDER BY p.position DESC LIMIT 1)`.execute(db)
        await sql`UPDATE sessions SET active_leaf_id = (
            SELECT m.id FROM messages m WHERE m.session_id = sessions.id
            ORDER BY m.position DESC LIMIT 1)`.execute(db)
        // A message's replies and edits (its children), in the order they were written.
        await db.schema
          .createIndex('messages_by_parent')
          .on('messages')
          .columns(['session_id', 'parent_id', 'position'])
          .execute()
      },
    },

    '0031_shared_file_bytes': {
      async up(db: AnyDb) {
        // A forked session's file names the file that holds its bytes, which are stored once.
        await db.schema.alterTable('files').addColumn('bytes_of', 'text').execute()
        await db.schema
          .createIndex('files_by_bytes_of')
          .on('files')
          .column('bytes_of')
          .where(sql.ref('bytes_of'), 'is not', null)
          .execute()
      },
    },

    '0032_queued_turns': {
      async up(db: AnyDb) {
        // Turns sent while their session was busy, oldest first, gone with their session; the
        // session counts them, so that a read of a session without any looks for none and the
        // queue's bound is one conditional update of the session's row.
        await db.schema
          .alterTable('sessions')
          .addColumn('queued_count', int64, (col) => col.notNull().defaultTo(0))
          .execute()
        await db.schema
          .createTable('queued_turns')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('session_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('kind', 'text', (col) =>
            col.notNull().check(sql`kind IN ('continue', 'regenerate', 'edit')`),
          )
          .addColumn('message_id', 'text')
          .addColumn('text', 'text')
          .addColumn('created_at', int64, (col) => col.notNull())
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('queued_turns_by_session')
          .on('queued_turns')
          .columns(['session_id', 'created_at', 'id'])
          .execute()
      },
    },

    '0036_ranked_words': {
      async up(db: AnyDb) {
        // Each message's count of the words search ranks by, so that a search does not count
        // the words of every text it ranks again (ranked-words.ts).
        await addRankedWords(db, dialect)
      },
    },

    '0037_search_owner_ranges': {
      async up(db: AnyDb) {
        // Then each owner's rows were keyed within a range of their own (see sqliteSearchIndex):
        // a store whose index was keyed in one run for every owner is rebuilt the same way.
        if (dialect === 'sqlite') await rebuildOutdatedSqliteSearch(db)
      },
    },

    '0045_webhook_outbox': {
      async up(db: AnyDb) {
        // The webhooks outbox: one row per event and endpoint, written in the transaction of
        // the write the event tells of. No foreign key to the session: a session.deleted
        // outlives its session.
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('endpoint_id', 'text', (col) => col.notNull())
          .addColumn('session_id', 'text', (col) => col.notNull())
          .addColumn('event_type', 'text', (col) => col.notNull())
          .addColumn('payload', 'text', (col) => col.notNull())
          .addColumn('created_at', int64, (col) => col.notNull())
          .addColumn('state', 'text', (col) =>
            col.notNull().check(sql`state IN ('pending', 'delivered', 'failed')`),
          )
          .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
          // While pending: when it is due, or, claimed, when the claim runs out.
          .addColumn('next_attempt_at', int64)
          .addColumn('claimed_by', 'text')
          .addColumn('delivered_at', int64)
          .$call(strict)
          .execute()
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .column('next_attempt_at')
          .where(sql.ref('state'), '=', 'pending')
          .execute()
        await db.schema
          .createIndex('webhook_deliveries_by_owner')
          .on('webhook_deliveries')
          .columns(['owner', 'created_at desc', 'id desc'])
          .execute()
        // Every attempt at a delivery, for its owner to see.
        await db.schema
          .createTable('webhook_attempts')
          .addColumn('delivery_id', 'text', (col) =>
            col.notNull().references('webhook_deliveries.id').onDelete('cascade'),
          )
          .addColumn('attempt', 'integer', (col) => col.notNull())
          .addColumn('started_at', int64, (col) => col.notNull())
          .addColumn('ended_at', int64)
          .addColumn('status_code', 'integer')
          .addColumn('error', 'text')
          .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
          .$call(strict)
          .execute()
      },
    },

    '0050_session_activity': {
      async up(db: AnyDb) {
        await keepSessionActivity(db, dialect)
      },
    },

    '0051_search_signatures': {
      async up(db: AnyDb) {
        // Walks of an owner's newest entries from the btree alone (`signSearchEntries`).
        if (dialect === 'postgres') await signSearchEntries(db)
      },
    },

    '0052_pinned_sessions_index': {
      async up(db: AnyDb) {
        // The pinned group of a grouped page walks the owner's pinned sessions only, not all
        // of them by recency for the one in ten pinned (PostgreSQL's statements name the
        // value, `pg-session-queries.ts`; SQLite's bind it, which a partial index cannot serve).
        if (dialect === 'postgres')
          await sql`CREATE INDEX sessions_pinned_by_owner_recency
            ON sessions (owner, updated_at DESC, id DESC) WHERE pinned = 1`.execute(db)
      },
    },

    '0054_owner_versions': {
      async up(db: AnyDb) {
        // Versions of each owner's sessions that every instance sees, so that answers to reads
        // may be kept on PostgreSQL too; SQLite's one process counts them in memory.
        if (dialect === 'postgres') await createOwnerVersions(db)
      },
    },

    '0055_owner_version_slots': {
      async up(db: AnyDb) {
        // One owner's writes commit together again (see `spreadOwnerVersions`).
        if (dialect === 'postgres') await spreadOwnerVersions(db)
      },
    },

    '0056_file_chunks': {
      async up(db: AnyDb) {
        // A file's bytes in rows of at most 1 MiB, each at its byte position (`start`) in the
        // file: stored whole, a file made SQLite copy all of it twice while its statement ran.
        await db.schema
          .createTable('file_chunks')
          .addColumn('file_id', 'text', (col) =>
            col.notNull().references('files.id').onDelete('cascade'),
          )
          .addColumn('start', int64, (col) => col.notNull())
          .addColumn('data', bytes, (col) => col.notNull())
          .addPrimaryKeyConstraint('file_chunks_pk', ['file_id', 'start'])
          .$call(strict)
          .execute()
        // The bytes stored so far, cut in SQL: no file passes through this process.
        const chunk = sql.lit(1024 * 1024)
        await (dialect === 'sqlite'
          ? sql`WITH RECURSIVE starts(start) AS (
                SELECT 0 UNION ALL SELECT start + ${chunk} FROM starts
                WHERE start + ${chunk} < (SELECT coalesce(max(length(data)), 0) FROM files))
              INSERT INTO file_chunks (file_id, start, data)
              SELECT files.id, starts.start, substr(files.data, starts.start + 1, ${chunk})
              FROM files JOIN starts ON starts.start < length(files.data)`
          : sql`INSERT INTO file_chunks (file_id, start, data)
              SELECT files.id, starts.start, substring(files.data FROM starts.start::int + 1 FOR ${chunk})
              FROM files, generate_series(0::bigint, length(files.data) - 1, ${chunk}) AS starts(start)
              WHERE length(files.data) > 0`
        ).execute(db)
        await db.schema.alterTable('files').dropColumn('data').execute()
      },
    },

    '0057_search_entry_filters': {
      async up(db: AnyDb) {
        // A search's filters on the session (archived, tags) answered by each entry's row,
        // not by a probe of its session for each match (`keepSessionFiltersOnEntries`).
        if (dialect === 'postgres') await keepSessionFiltersOnEntries(db)
      },
    },

    '0058_sqlite_pinned_sessions_index': {
      async up(db: AnyDb) {
        // 0052's index on SQLite too: the pinned group of a grouped page walks the owner's
        // pinned sessions only (one in ten), not all of them by recency; its statements name
        // the value (`sqlite-json-reads.ts`), which a partial index needs. PostgreSQL has it.
        if (dialect === 'sqlite')
          await sql`CREATE INDEX sessions_pinned_by_owner_recency
            ON sessions (owner, updated_at DESC, id DESC) WHERE pinned = 1`.execute(db)
      },
    },

    '0059_session_files_flag': {
      async up(db: AnyDb) {
        await keepSessionFilesFlag(db, dialect)
      },
    },

    '0060_search_writes_once_a_batch': {
      async up(db: AnyDb) {
        // SQLite's search triggers queue each text, written to FTS5 once a batch before its
        // commit (see FLUSH_PENDING_SEARCH); PostgreSQL's index is written by its own triggers.
        if (dialect === 'sqlite') await createSqliteSearchWrites(db)
      },
    },

    '0061_sqlite_search_session_filter': {
      async up(db: AnyDb) {
        // Search checks each candidate's session for the owner and the archive (the default
        // filter) in this index alone, not in the session's row as well: one B-tree descent a
        // candidate of two (a rare word at 1M messages: ~300 candidates, ~0.15 ms; kysely-search.ts).
        // PostgreSQL keeps these on its entries (0057).
        if (dialect === 'sqlite')
          await sql`CREATE INDEX sessions_search_filter
            ON sessions (id, owner, archived)`.execute(db)
      },
    },

    '0063_webhook_deliveries_finished': {
      async up(db: AnyDb) {
        // When a delivery was delivered or given up, for deleting it WEBHOOK_RETENTION_MS
        // later. A failed one finished with its last attempt (or, never tried, when it was made).
        await db.schema.alterTable('webhook_deliveries').addColumn('finished_at', int64).execute()
        await sql`UPDATE webhook_deliveries SET finished_at = CASE
            WHEN state = 'delivered' THEN delivered_at
            ELSE coalesce((SELECT max(ended_at) FROM webhook_attempts
              WHERE webhook_attempts.delivery_id = webhook_deliveries.id), created_at)
          END
          WHERE state <> 'pending'`.execute(db)
        // "Finished before T" from the finished rows alone: a prune with nothing due reads
        // one index entry, however many deliveries are pending. `finished_at < ?` implies the
        // condition on both stores, a bound value included.
        await db.schema
          .createIndex('webhook_deliveries_finished')
          .on('webhook_deliveries')
          .column('finished_at')
          .where(sql.ref('finished_at'), 'is not', null)
          .execute()
      },
    },
  }
}

/**
 * SQLite: an FTS5 index kept by triggers, so that every write of a name or a message, by any
 * path of the store (or a later one, or an import), updates it in the same transaction (its text
 * queued by the statement, written to FTS5 before the commit: {@link createSqliteSearchWrites}),
 * and a deleted session's rows leave it with the cascade that deletes them.
 * The index is contentless (the texts stay only in their tables); `search_docs` gives each of
 * its rows a key of its own, an INTEGER PRIMARY KEY that VACUUM keeps, where messages' own
 * rowids may change. The tokenizer keeps diacritics (`remove_diacritics 0`), as PostgreSQL's
 * `simple` configuration does: both find the same words. Prefixes of 2 to 8 letters are
 * indexed for as-you-type search ({@link SQLITE_SEARCH_PREFIXES}). Each row's `owner` column holds one word, its owner's id in
 * hex ({@link OWNER_TOKEN_SQL}), so that a MATCH of the owner's word and the query reads only
 * that owner's rows of the index (FTS5 intersects the two lists), however many other owners
 * there are. Keys go down as rows are written (the newest row has the lowest), so that the
 * newest matches are FTS5's first in its own order: walking a list backwards, FTS5 cannot skip
 * ahead in the other lists as it does forwards (a rare word of an owner of a million rows took
 * ~30 ms backwards, ~1 ms forwards). Each owner's keys are a range of their own
 * ({@link SEARCH_OWNER_RANGE} keys from its slot's start, `search_owners`), so that the owner's
 * rows sit together in every word's list: FTS5 intersects the owner's list with the word's by
 * skipping ahead in the word's for each of the owner's rows, and where those rows are spread
 * over the whole list (one run of keys for every owner) each skip lands on pages of its own (one
 * owner of 1,001 at 1M messages, the MATCH of `design review`: ~2 ms for 33 matches;
 * docs/performance.md, search).
 */
async function sqliteSearchIndex(db: AnyDb): Promise<void> {
  // The owner's word of the search_docs row each statement below reads.
  const ownerToken = sql.raw(OWNER_TOKEN_SQL('search_docs.owner'))
  const range = sql.lit(SEARCH_OWNER_RANGE)
  const statements = [
    sql`CREATE TABLE search_owners (
      slot INTEGER PRIMARY KEY,
      owner TEXT NOT NULL UNIQUE
    ) STRICT`,
    sql`CREATE TABLE search_docs (
      doc INTEGER PRIMARY KEY,
      owner TEXT NOT NULL,
      session_id TEXT NOT NULL,
      message_id TEXT
    ) STRICT`,
    sql`CREATE INDEX search_docs_by_session ON search_docs (session_id)`,
    sql`CREATE UNIQUE INDEX search_docs_by_message ON search_docs (message_id)
      WHERE message_id IS NOT NULL`,
    sql`CREATE VIRTUAL TABLE search_fts USING fts5(
      body, owner, content='', contentless_delete=1,
      tokenize='unicode61 remove_diacritics 0', prefix='${sql.raw(SQLITE_SEARCH_PREFIXES)}'
    )`,
    // What was there before: every name and message, indexed once.
    sql`INSERT INTO search_docs (owner, session_id, message_id)
      SELECT owner, id, NULL FROM sessions
      UNION ALL
      SELECT sessions.owner, messages.session_id, messages.id
        FROM messages JOIN sessions ON sessions.id = messages.session_id`,
    // Numbered 1, 2, … as written; the later a row, the lower its key: -1, -2, …, then moved
    // into the owner's range, below its end, in the same order.
    sql`UPDATE search_docs SET doc = -doc`,
    sql`INSERT INTO search_owners (owner) SELECT DISTINCT owner FROM search_docs ORDER BY owner`,
    sql`UPDATE search_docs SET doc = doc + ${range} + ${range} * (SELECT slot FROM search_owners
      WHERE search_owners.owner = search_docs.owner)`,
    // In the keys' order: FTS5 writes out what it holds whenever a key is not above the last.
    sql`INSERT INTO search_fts (rowid, body, owner)
      SELECT search_docs.doc, sessions.name, ${ownerToken} FROM search_docs
        JOIN sessions ON sessions.id = search_docs.session_id
        WHERE search_docs.message_id IS NULL
      UNION ALL
      SELECT search_docs.doc, substr(messages.text, 1, ${sql.lit(SEARCHED_CHARACTERS)}), ${ownerToken}
        FROM search_docs JOIN messages ON messages.id = search_docs.message_id
      ORDER BY 1`,
  ]
  for (const statement of statements) await statement.execute(db)
  await createSqliteSearchWrites(db)
}

/**
 * The prefix lengths SQLite's search index keeps lists of. A prefix query of a length it has
 * walks that list lazily, skipping ahead to the owner's rows; of any other length, FTS5 first
 * merges the whole lists of every word so starting, every owner's (`onbo` at 1M messages: ~8 ms
 * of CPU for the owner of them all, ~15 ms for one of 1,001, against ~0.5 ms from its own
 * list). Up to 8 letters covers most words as they are typed; each length adds a list per
 * prefix (2 to 8 doubled the index's size over 2 and 3 at 1M messages: 318 → 657 MB;
 * docs/performance.md, search).
 */
export const SQLITE_SEARCH_PREFIXES = '2 3 4 5 6 7 8'

/**
 * Keys of one owner's range in SQLite's search index (2^32): slot `n`'s rows are keyed from
 * `n` × this up, the newest lowest, so that an owner can write 4 billion rows before its range
 * ends.
 */
export const SEARCH_OWNER_RANGE = 2 ** 32

/**
 * The word of an owner in SQLite's search index: its id's UTF-8 bytes in lowercase hex (letters
 * and digits only, so one token whatever the id). Searches matched it until they found an
 * owner's rows by its range of keys instead (`kysely-search.ts`); the index's triggers still
 * write it, since dropping the column means building the index again.
 */
export const OWNER_TOKEN_SQL = (column: string) => `lower(hex(${column}))`

/** The triggers of SQLite's search index, by name. */
const SQLITE_SEARCH_TRIGGERS = [
  'search_session_insert',
  'search_session_rename',
  'search_session_delete',
  'search_message_insert',
  'search_message_edit',
  'search_message_delete',
]

/**
 * What the SQLite store runs before each commit (and once it has migrated): the texts the
 * triggers queued in `search_pending` since the transaction began, into FTS5 in the keys' order,
 * and the queue emptied. Each statement's SQL, in order.
 *
 * Why not FTS5 straight from the triggers: FTS5 writes out the terms it holds at every savepoint
 * (each statement inside a transaction opens one, and so does each write of a group commit) and
 * whenever a key is not above the last it took (keys go down as rows are written), so each text
 * was a segment of its own, merged again and again. One statement a batch writes one segment:
 * measured, docs/performance.md, "Writes, round of 4 December".
 */
export const FLUSH_PENDING_SEARCH = [
  'INSERT INTO search_fts (rowid, body, owner) SELECT doc, body, owner FROM search_pending ORDER BY doc',
  'DELETE FROM search_pending',
]

/**
 * Creates `search_pending` and the triggers of SQLite's search index: each name and message
 * keyed in `search_docs`, its text queued in `search_pending` for {@link FLUSH_PENDING_SEARCH}.
 * An edit or a delete takes the old text out of FTS5 at once and out of the queue (a row written
 * in the same transaction is still there): FTS5 deletes of a key it never had are no-ops.
 * Replaces the triggers there are (migration 0060: they wrote FTS5 themselves, and nothing was
 * queued); `search_docs`, `search_owners` and `search_fts` must exist.
 *
 * @example
 * ```ts
 * await createSqliteSearchWrites(db) // by sqliteSearchIndex, and migration 0060
 * ```
 */
async function createSqliteSearchWrites(db: AnyDb): Promise<void> {
  for (const trigger of SQLITE_SEARCH_TRIGGERS)
    await sql.raw(`DROP TRIGGER IF EXISTS ${trigger}`).execute(db)
  // The owner's word of the search_docs row each statement below reads.
  const ownerToken = sql.raw(OWNER_TOKEN_SQL('search_docs.owner'))
  const searched = sql.lit(SEARCHED_CHARACTERS)
  // Each new row's key: one below the lowest of its owner's range (the primary key's first
  // entry from the range's start, one B-tree step), the range's last key for its first row.
  const nextDoc = (slot: string) =>
    sql.raw(`(SELECT coalesce(min(doc), (${slot} + 1) * ${SEARCH_OWNER_RANGE}) - 1 FROM search_docs
      WHERE doc >= ${slot} * ${SEARCH_OWNER_RANGE} AND doc < (${slot} + 1) * ${SEARCH_OWNER_RANGE})`)
  // Rows of search_docs out of FTS5 and out of the queue.
  const unindex = (docs: string) =>
    sql.raw(`DELETE FROM search_pending WHERE doc IN (${docs});
      DELETE FROM search_fts WHERE rowid IN (${docs});`)
  const nameDoc = 'SELECT doc FROM search_docs WHERE session_id = old.id AND message_id IS NULL'
  const messageDoc = 'SELECT doc FROM search_docs WHERE message_id = old.id'
  const statements = [
    sql`CREATE TABLE IF NOT EXISTS search_pending (
      doc INTEGER PRIMARY KEY,
      body TEXT,
      owner TEXT NOT NULL
    ) STRICT`,
    sql`CREATE TRIGGER search_session_insert AFTER INSERT ON sessions BEGIN
      INSERT OR IGNORE INTO search_owners (owner) VALUES (new.owner);
      INSERT INTO search_docs (doc, owner, session_id)
        SELECT ${nextDoc('search_owners.slot')}, new.owner, new.id FROM search_owners
        WHERE search_owners.owner = new.owner;
      INSERT INTO search_pending (doc, body, owner) SELECT doc, new.name, ${ownerToken}
        FROM search_docs WHERE session_id = new.id AND message_id IS NULL;
    END`,
    sql`CREATE TRIGGER search_session_rename AFTER UPDATE OF name ON sessions
      WHEN new.name IS NOT old.name BEGIN
      ${unindex(nameDoc)}
      INSERT INTO search_pending (doc, body, owner) SELECT doc, new.name, ${ownerToken}
        FROM search_docs WHERE session_id = new.id AND message_id IS NULL;
    END`,
    sql`CREATE TRIGGER search_session_delete AFTER DELETE ON sessions BEGIN
      ${unindex('SELECT doc FROM search_docs WHERE session_id = old.id')}
      DELETE FROM search_docs WHERE session_id = old.id;
    END`,
    sql`CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN
      INSERT INTO search_docs (doc, owner, session_id, message_id)
        SELECT ${nextDoc('search_owners.slot')}, sessions.owner, sessions.id, new.id
        FROM sessions JOIN search_owners ON search_owners.owner = sessions.owner
        WHERE sessions.id = new.session_id;
      INSERT INTO search_pending (doc, body, owner)
        SELECT doc, substr(new.text, 1, ${searched}), ${ownerToken}
        FROM search_docs WHERE message_id = new.id;
    END`,
    sql`CREATE TRIGGER search_message_edit AFTER UPDATE OF text ON messages
      WHEN new.text IS NOT old.text BEGIN
      ${unindex(messageDoc)}
      INSERT INTO search_pending (doc, body, owner)
        SELECT doc, substr(new.text, 1, ${searched}), ${ownerToken}
        FROM search_docs WHERE message_id = new.id;
    END`,
    sql`CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN
      ${unindex(messageDoc)}
      DELETE FROM search_docs WHERE message_id = old.id;
    END`,
  ]
  for (const statement of statements) await statement.execute(db)
}

/**
 * Rebuilds a SQLite search index made without the owner column, with keys that go up, without
 * every prefix length of {@link SQLITE_SEARCH_PREFIXES} or without owners' ranges of keys
 * (0025_search as it was before each; keys went up only before the ranges): its triggers,
 * tables and rows, made again by {@link sqliteSearchIndex} from the sessions and messages.
 * Nothing to do on a store without an index yet, or with the new one.
 */
async function rebuildOutdatedSqliteSearch(db: AnyDb): Promise<void> {
  const { rows } = await sql<{
    name: string
  }>`SELECT name FROM pragma_table_info('search_fts')`.execute(db)
  if (rows.length === 0) return
  const made = await sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master
    WHERE name IN ('search_fts', 'search_owners')`.execute(db)
  const prefixed = made.rows
    .find((row) => row.name === 'search_fts')
    ?.sql.includes(`prefix='${SQLITE_SEARCH_PREFIXES}'`)
  const ranged = made.rows.some((row) => row.name === 'search_owners')
  if (rows.some((row) => row.name === 'owner') && ranged && prefixed) return
  for (const trigger of SQLITE_SEARCH_TRIGGERS)
    await sql.raw(`DROP TRIGGER IF EXISTS ${trigger}`).execute(db)
  await sql`DROP TABLE search_fts`.execute(db)
  await sql`DROP TABLE search_docs`.execute(db)
  await sql`DROP TABLE IF EXISTS search_owners`.execute(db)
  await sql`DROP TABLE IF EXISTS search_pending`.execute(db)
  await sqliteSearchIndex(db)
}

/**
 * PostgreSQL: a stored generated `tsvector` of each message with a GIN index (the column is
 * written by the database with the row, in its transaction, and the migration fills it for the
 * rows already there), and a GIN expression index over session names, short enough to be
 * re-read for ranking. tsvector rather than pg_trgm: search is by word and phrase, ranked, and
 * a trigram index neither knows words nor ranks.
 */
async function postgresSearchIndex(db: AnyDb): Promise<void> {
  await sql
    .raw(
      `ALTER TABLE messages ADD COLUMN search_vector tsvector
         GENERATED ALWAYS AS (${searchVector('text')}) STORED`,
    )
    .execute(db)
  await sql.raw('CREATE INDEX messages_search ON messages USING gin (search_vector)').execute(db)
  await sql
    .raw(`CREATE INDEX sessions_name_search ON sessions USING gin ((${searchVector('name')}))`)
    .execute(db)
}

/**
 * The version each migration had in the schema_migrations table of the SQLite store before it
 * moved to Kysely: a database made then is taken over without being rebuilt.
 */
export const legacySqliteVersions: Record<number, string> = {
  1: '0001_sessions_messages_files',
  2: '0002_event_ids',
  3: '0003_owners',
  4: '0004_idempotency_keys',
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrationsFor(dialect) }
}

/** How many migrations there are: a store that applied fewer is not ready. */
export function migrationCount(dialect: Dialect): number {
  return Object.keys(migrationsFor(dialect)).length
}
