/**
 * The tables as Kysely sees them, the same in SQLite and PostgreSQL. Times are whole
 * milliseconds since the epoch (INTEGER in SQLite, BIGINT in PostgreSQL, read back as numbers).
 */
import type { ColumnType, Generated } from 'kysely'

export interface SessionsTable {
  id: string
  /** Who created it (an API key's owner, or `anonymous`). */
  owner: Generated<string>
  agent_id: string
  name: string
  routine_id: string | null
  status: 'Ready' | 'Running' | 'Flushed'
  error_code: string | null
  error_message: string | null
  created_at: number
  updated_at: number
  /** The last id given to an event of the session's runs (or reserved for the run going on). */
  event_seq: Generated<number>
  /** The run going on (or that went on last): recorded only while the session is on it. */
  run_id: string | null
  /** The server instance that runs it. */
  run_instance: string | null
  /** Past this, with the session still `Running`, any instance may flush the run. */
  run_lease_expires_at: number | null
  /**
   * Event ids at or below it are of a run another instance flushed: a late event of that run
   * (its instance cut off) is refused. The flush's own closing events are above it.
   */
  event_fence: Generated<number>
  /** Totals over the session's model calls (`model_usage`); `usage_estimated` is 0 or 1. */
  model_calls: Generated<number>
  input_tokens: Generated<number>
  output_tokens: Generated<number>
  cached_tokens: Generated<number>
  usage_estimated: Generated<number>
  /** The last message of the branch the session shows (`messages`); null before the first. */
  active_leaf_id: ColumnType<string | null, string | null | undefined, string | null>
  /**
   * 1 once a message of the session has a sibling (an edit, a regenerated reply): until then
   * its messages are one chain, and the active branch is every message down to the leaf.
   */
  branched: Generated<number>
  /** 0 or 1. */
  pinned: Generated<number>
  /** 0 or 1. */
  archived: Generated<number>
  /** The tags as a JSON array of strings. */
  tags: Generated<string>
  /** The metadata as a JSON object of strings. */
  metadata: Generated<string>
  /** How many turns wait in `queued_turns` for the session's runs to end. */
  queued_count: Generated<number>
  /** How many messages the session has (kept by a trigger on `messages`, `session-activity.ts`). */
  message_count: Generated<number>
  /** The latest message by position: its time, position and first characters; null before one. */
  last_message_at: Generated<number | null>
  last_message_position: Generated<number | null>
  last_message_start: Generated<string | null>
  /** 1 once the session has had a file (kept by a trigger on `files`, `session-files-flag.ts`). */
  has_files: Generated<number>
}

/**
 * The session's tags (`kind` 'tag', `value` '') and metadata pairs (`kind` 'meta'), one row
 * each, written with the session's JSON columns in the same transaction: what the list filters
 * look up.
 */
export interface SessionLabelsTable {
  session_id: string
  kind: 'tag' | 'meta'
  key: string
  value: string
}

/** A user's rating of an assistant message (one per message), by owner and agent. */
export interface MessageFeedbackTable {
  message_id: string
  session_id: string
  owner: string
  agent_id: string
  rating: 'up' | 'down'
  comment: string | null
  created_at: number
  updated_at: number
}

export interface MessagesTable {
  id: string
  session_id: string
  /** The order of writing within the session; a child comes after its parent. */
  position: number
  /** The message this one follows in its branch; null for a first message (a root). */
  parent_id: ColumnType<string | null, string | null | undefined, string | null>
  role: 'user' | 'assistant'
  text: string
  created_at: number
  /** What the model used to write an assistant message; null otherwise. */
  input_tokens: number | null
  output_tokens: number | null
  cached_tokens: number | null
  /** 1 when a count is the server's estimate. */
  usage_estimated: number | null
  /**
   * How many words search's ranking reads in the text (`rankedWordCount`), counted when the
   * message is written (and by migration 0036 for those before it); a row loaded around the
   * server may have none, and ranking counts its words then.
   */
  ranked_words: ColumnType<number | null, number | undefined, never>
}

export interface FilesTable {
  id: string
  session_id: string
  message_id: string
  position: number
  name: string
  content_type: string
  size: number
  sha256: string
  /** The file that holds this one's bytes (a fork's copy), or `null`: it holds them itself. */
  bytes_of: ColumnType<string | null, string | null | undefined, string | null>
}

/** A file's bytes, in rows of at most `FILE_CHUNK_BYTES`, each at its byte position. */
export interface FileChunksTable {
  file_id: string
  start: number
  data: Uint8Array
}

/** The events of each session's latest run, for streams on other instances (PostgreSQL). */
/** An owner's request budget shared by the instances (PostgreSQL; see `RateBudget`). */
export interface RateBucketsTable {
  owner: string
  /** Tokens in the bucket at `at`. */
  tokens: number
  at: number
  /** The tokens the last take got. */
  granted: number
}

export interface RunEventsTable {
  session_id: string
  /** The run it is of; null in rows stored before runs were named. */
  run_id: string | null
  id: number
  /** The event as JSON. */
  event: string
  created_at: number
}

/** Per owner and `Idempotency-Key`: the request it was first used for, and its answer. */
export interface IdempotencyKeysTable {
  owner: string
  key: string
  fingerprint: string
  /**
   * `done` since migration 0007: a row is written by the request's work, which is done once it
   * exists (`in_flight` was a claim before the work, from before).
   */
  state: 'in_flight' | 'done'
  /** The session the request was about: deleting it deletes its stored answers. */
  session_id: string | null
  status: number | null
  /** JSON. */
  headers: string | null
  /** The answer's bytes, once sent; `null` while only the outcome is known. */
  body: Uint8Array | null
  /** JSON `AfterWrite`: what a retry does again before answering the outcome. */
  after_write: string | null
  /** A rating's message: its answer shows that message's rating. */
  message_id: string | null
  created_at: number
}

/** One model call: a reply, a title or a compaction, and what it used. */
export interface ModelUsageTable {
  id: string
  owner: string
  session_id: string
  agent_id: string
  run_id: string
  kind: 'reply' | 'title' | 'compaction'
  input_tokens: number
  output_tokens: number
  cached_tokens: number
  estimated: number
  created_at: number
}

/** A session's compaction note: the summary of its messages up to `through_message_id`. */
export interface SessionCompactionsTable {
  session_id: string
  through_message_id: string
  summary: string
  summary_tokens: number
  created_at: number
}

/** The webhooks outbox: an event on its way to one endpoint. */
export interface WebhookDeliveriesTable {
  /** The `webhook-id`. */
  id: string
  owner: string
  endpoint_id: string
  session_id: string
  event_type: string
  /** The JSON body, exactly as signed and sent. */
  payload: string
  created_at: number
  state: 'pending' | 'delivered' | 'failed'
  /** Attempts started. */
  attempts: Generated<number>
  /** While pending: when it is due, or, claimed, when the claim runs out. */
  next_attempt_at: number | null
  /** The instance whose attempt is under way. */
  claimed_by: string | null
  delivered_at: number | null
  /** When it became `delivered` or `failed`; null while pending. */
  finished_at: number | null
}

/** One attempt at a delivery. */
export interface WebhookAttemptsTable {
  delivery_id: string
  attempt: number
  started_at: number
  /** Null while under way. */
  ended_at: number | null
  status_code: number | null
  error: string | null
}

/** A turn sent while its session was busy (`on_busy=enqueue`), waiting for its runs to end. */
export interface QueuedTurnsTable {
  id: string
  session_id: string
  owner: string
  kind: 'continue' | 'regenerate' | 'edit'
  /** The regenerated reply or the edited message; null for a continue. */
  message_id: string | null
  /** The new message's text; null for a regenerate. */
  text: string | null
  created_at: number
}

export interface Database {
  sessions: SessionsTable
  queued_turns: QueuedTurnsTable
  messages: MessagesTable
  files: FilesTable
  file_chunks: FileChunksTable
  run_events: RunEventsTable
  rate_buckets: RateBucketsTable
  idempotency_keys: IdempotencyKeysTable
  model_usage: ModelUsageTable
  session_compactions: SessionCompactionsTable
  session_labels: SessionLabelsTable
  message_feedback: MessageFeedbackTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
}

export type Dialect = 'sqlite' | 'postgres'
