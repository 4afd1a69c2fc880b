import type { MessageRole, SessionError, SessionStatus } from '@uxmate/contract'
import type { ChangeVersions } from './change-versions.ts'
import type { FilePieces } from './file-chunks.ts'
import type { IdempotencyStore, KeyCommit } from './idempotency-store.ts'
import type { SearchQuery } from './search-query.ts'
import type { ImportedSession } from './session-import.ts'
import type { WebhookOutbox } from './webhook-outbox.ts'

/** Who owns the sessions made without an API key (open mode, and sessions from before keys). */
export const ANONYMOUS_OWNER = 'anonymous'

/** A file's metadata as stored with the message it came with. */
export interface StoredFile {
  id: string
  name: string
  contentType: string
  size: number
  sha256: string
}

/** A file on its way into the store, with its bytes in order (see file-chunks.ts). */
export interface NewFile extends StoredFile {
  chunks: FilePieces
  /**
   * Called once the bytes are stored, or will not be (see `filesStored`): their holder may let
   * them go, and empty `chunks`, at once.
   */
  stored?: () => void
}

/** Tokens a model used: the provider's counts, or the server's estimate (`estimated`). */
export interface TokenUsage {
  inputTokens: number
  outputTokens: number
  cachedTokens: number
  estimated: boolean
}

/** One call of a run to its agent's model, and what it used. */
export interface ModelCall {
  kind: 'reply' | 'title' | 'compaction'
  usage: TokenUsage
}

export interface MessageRecord {
  id: string
  /**
   * The message this one follows: the messages of a session are a tree (an edit is a sibling of
   * the message it edits, a regenerated reply a sibling of the reply); null for a first message.
   */
  parentId: string | null
  role: MessageRole
  text: string
  createdAt: Date
  files: StoredFile[]
  /** An assistant message's: what the model used to write it; absent without a model. */
  usage?: TokenUsage
  /** An assistant message's rating by the user; absent until rated. */
  feedback?: MessageFeedback
}

/** A user's rating of a reply. */
export type Rating = 'up' | 'down'

/** The rating as a message carries it. */
export interface MessageFeedback {
  rating: Rating
  comment?: string
  updatedAt: Date
}

/** A rating, with what it is about: as listed per agent. */
export interface FeedbackRecord extends MessageFeedback {
  sessionId: string
  messageId: string
  agentId: string
  createdAt: Date
}

/** A page of an agent's ratings, most recently changed first, and the range's totals. */
export interface FeedbackPage {
  entries: FeedbackRecord[]
  /** Where the next page starts (the last entry's `updatedAt` and message id). */
  next?: SessionCursor
  totals: Record<Rating, number>
}

/** The summary of a session's messages up to one, which a model gets instead of them. */
export interface CompactionNote {
  /** The last message the summary covers. */
  throughMessageId: string
  summary: string
  /** The summary's length in tokens, as the agent counts them. */
  summaryTokens: number
}

/** An owner's model usage over a range of time, by agent and by stretch of 15 minutes. */
export interface UsageBucket {
  agentId: string
  /** The start of the 15 minutes (ms since the epoch). */
  start: number
  calls: number
  usage: TokenUsage
}

/**
 * Who runs a session's run, and until when: the instance renews the lease while the run goes on;
 * once it has run out (the instance died), any instance may flush the run.
 */
export interface RunClaim {
  /** The run: only it can record its end, even if the session was flushed and continued since. */
  runId: string
  /** The server instance that runs it. */
  instance: string
  leaseExpiresAt: Date
}

export interface SessionRecord {
  id: string
  /** Who created it (an API key's owner): only they see it. */
  owner: string
  agentId: string
  name: string
  routineId: string | null
  status: SessionStatus
  error: SessionError | null
  createdAt: Date
  updatedAt: Date
  /**
   * The id of the session's last event (`get_session_events`), or more: during a run, the top
   * of the ids reserved for it. Ids never go backwards, across runs and restarts.
   */
  lastEventId: number
  /** The run going on, while the session is `Running`; `null` otherwise. */
  run: RunClaim | null
  /** Totals over all the session's model calls; absent before the first. */
  usage?: TokenUsage
  /** Kept at the top of a sidebar. */
  pinned: boolean
  /** Left out of lists unless asked for. */
  archived: boolean
  /** The session's labels, in the order they were given. */
  tags: string[]
  /** The caller's own string pairs. */
  metadata: Record<string, string>
  /** The last message of the branch the session shows; null only while it has no message. */
  activeLeafId: string | null
  /** The active branch: from its root down to `activeLeafId`, oldest first. */
  messages: MessageRecord[]
  /** The turns waiting for the session's runs to end, oldest first; absent when none. */
  queuedTurns?: QueuedTurnRecord[]
  /** What the messages are, when they were not read (a list without messages). */
  activity?: SessionActivity
}

/** What a queued turn does once its time comes: `update_session`'s, a regenerate's or an edit's. */
export type QueuedTurnKind = 'continue' | 'regenerate' | 'edit'

/** A turn sent while its session was busy (`on_busy=enqueue`): it starts after the runs before it. */
export interface QueuedTurnRecord {
  id: string
  kind: QueuedTurnKind
  /** The new user message's text (a continue's, an edit's); null for a regenerate. */
  text: string | null
  /** The reply a regenerate answers again, or the message an edit edits; null for a continue. */
  messageId: string | null
  createdAt: Date
}

/** A turn to queue behind the session's run. */
export interface NewQueuedTurn {
  owner: string
  sessionId: string
  turn: QueuedTurnRecord
  /** The most turns the session's queue holds: the turn past them is refused. */
  maxQueued: number
  /** As in {@link NewSession}: the request's key, taken with the turn or not at all. */
  key?: KeyCommit
}

/** What a sidebar shows of a session's messages without reading them. */
export interface SessionActivity {
  messageCount: number
  /** The latest message's time and first characters; absent without messages. */
  lastMessage?: { createdAt: Date; preview: string }
}

/**
 * Which sessions a list shows: archived ones or the others; pinned ones, the others or both;
 * those with every tag of `tags` and every pair of `metadata`.
 */
export interface SessionFilter {
  archived: boolean
  pinned?: boolean
  tags: string[]
  metadata: Array<[key: string, value: string]>
}

/**
 * What `updateSession` changes: the fields given, the others left alone. `metadata` is merged
 * into the session's (a `null` removes its key); more than `maxMetadataPairs` after the merge
 * is refused.
 */
export interface SessionPatch {
  name?: string
  pinned?: boolean
  archived?: boolean
  tags?: string[]
  metadata?: Record<string, string | null>
  maxMetadataPairs: number
}

/** What a sidebar needs of a session: no messages. */
export type SessionHeader = Omit<SessionRecord, 'messages'>

/** What a grouped sidebar lists of a session: its id, agent, name and last update. */
export type SessionSummaryRecord = Pick<
  SessionHeader,
  'id' | 'agentId' | 'name' | 'updatedAt' | 'pinned' | 'archived' | 'tags' | 'metadata'
> & { activity: SessionActivity }

export interface NewSession {
  id: string
  owner: string
  agentId: string
  name: string
  now: Date
  message: { id: string; text: string; files: NewFile[] }
  /** The run the new session starts with. */
  run: RunClaim
  /**
   * Event ids to reserve for the run in the same transaction (`reserveEventIds` without a
   * commit of its own); the returned record's `lastEventId` is then the top of them.
   */
  reserveEventIds?: number
  /**
   * The request's `Idempotency-Key`, taken in the same transaction (its `sessionId` is this
   * session's): nothing is stored, and `IdempotencyKeyTaken` thrown, if another request has it.
   */
  key?: KeyCommit
}

/** How large a session may grow: a turn that would take it past either is not stored. */
export interface SessionBounds {
  /** Most messages, replies included: a turn needs room for its prompt and its reply. */
  maxMessages: number
  /** Most bytes (UTF-8) of message texts, replies included, the turn's prompt counted. */
  maxTextBytes: number
}

/** Why a turn was refused by the session's {@link SessionBounds}. */
export type SessionFull = 'too_many_messages' | 'too_much_text'

export interface NewUserMessage {
  owner: string
  sessionId: string
  now: Date
  message: { id: string; text: string; files?: NewFile[] }
  /** Checked in the turn's transaction; none: the session may grow without end. */
  bounds?: SessionBounds
  /** The run the turn starts. */
  run: RunClaim
  /** As in {@link NewSession}: ids reserved for the run in the turn's transaction. */
  reserveEventIds?: number
  /** As in {@link NewSession}: the request's key, taken with the turn or not at all. */
  key?: KeyCommit
  /**
   * The message the new one follows (`null`: a new first message), for an edit; absent: the
   * session's active leaf, as in every plain turn.
   */
  parentId?: string | null
  /**
   * The queued turn this one is: taken out of the queue with the claim, or nothing stored
   * (`busy`) when it is no longer queued (cancelled, or started by another instance).
   */
  queuedTurnId?: string
}

/** A run on the session's history up to `leafId` (a regenerated reply), without a new message. */
export interface NewRun {
  owner: string
  sessionId: string
  now: Date
  /** The message the reply will follow; it becomes the active leaf. */
  leafId: string
  run: RunClaim
  reserveEventIds?: number
  /** As in {@link NewSession}: the request's key, taken with the run or not at all. */
  key?: KeyCommit
  /** As in {@link NewUserMessage}: checked in the run's transaction, with room for the reply. */
  bounds?: SessionBounds
  /** As in {@link NewUserMessage}: the queued turn this run is. */
  queuedTurnId?: string
}

/** A switch of the active branch, as stored. */
export interface BranchSwitch {
  session: SessionRecord
  /**
   * Set when the active leaf moved: the id of the `branch` event that tells of it; the session's
   * `lastEventId` (the next id) is that of the status event after it. Unset: it was the active
   * branch already, and nothing is told.
   */
  branchEventId?: number
}

/** Where a message sits in its session's tree. */
export interface MessageNode {
  id: string
  parentId: string | null
  role: MessageRole
}

/** A new session holding a copy of another's branch, down to one of its messages. */
export interface NewFork {
  owner: string
  sourceId: string
  /** The last message to copy: the fork holds its branch from the root down to it. */
  throughMessageId: string
  id: string
  now: Date
  /** Makes the ids of the copied messages and files. */
  newId: () => string
  /** The request's key, taken with the fork (about its source) or not at all. */
  key?: KeyCommit
}

export interface RunOutcome {
  sessionId: string
  /** The run that ended: nothing is recorded unless the session is still `Running` it. */
  runId: string
  now: Date
  /** The agent's reply (or a cancelled run's partial one); null when there is none. */
  reply: { id: string; text: string } | null
  status: Extract<SessionStatus, 'Ready' | 'Flushed'>
  error: SessionError | null
  /** The id of the run's last event, which becomes the session's `lastEventId`. */
  lastEventId: number
  /** The agent's title, set only if the session's name is still `replaces` (not renamed since). */
  title?: { name: string; replaces: string }
  /**
   * The run's model calls, recorded with its end: in the session's totals and the usage
   * ledger, and the reply's on the reply.
   */
  modelCalls?: ModelCall[]
}

/** A run ended by another instance than its own, whose lease ran out. */
export interface FlushedRun {
  sessionId: string
  /** The run flushed: its closing events are of it. */
  runId: string
  /** The ids of the run's closing events (`error`, then `status`), reserved by the flush. */
  errorEventId: number
  statusEventId: number
}

/** A position in the most-recently-updated-first order, for keyset pagination. */
export interface SessionCursor {
  updatedAt: Date
  id: string
}

/** Where a page of a session's messages ends, in its order. */
export interface MessageCursor {
  order: 'asc' | 'desc'
  /** The position of the page's last message (0 for the first message of the session). */
  position: number
}

export interface MessagePage {
  messages: MessageRecord[]
  /** The session's active leaf (for a page of its tree). */
  activeLeafId?: string | null
  /** Where the next page starts; absent on the last page. */
  next?: MessageCursor
}

export interface SessionPage {
  sessions: SessionRecord[]
  /** Where the next page starts; absent on the last page. */
  next?: SessionCursor
}

/** One hit of a search: one of the owner's messages, or a session's name (no `message`). */
export interface SearchHitRecord {
  session: SessionSummaryRecord
  /** The message that matched; absent when the session's name did. */
  message?: Pick<MessageRecord, 'id' | 'role' | 'createdAt'>
  /** The text that matched (the message's or the name), for its snippet. */
  text: string
}

/** A page of hits, best first. */
export interface SearchHitPage {
  hits: SearchHitRecord[]
  /** Whether more hits follow this page. */
  more: boolean
}

/**
 * Where sessions live. Every method that writes more than one row does so in one transaction, so
 * a crash leaves either all of it or none. Async, so that a networked database can stand behind
 * the same interface as SQLite.
 *
 * Methods that find a session for a caller take its `owner` first: another owner's session is
 * not found. The ones that take only an id serve runs already under way.
 */
export interface SessionStore extends Partial<JsonReads> {
  /**
   * Versions of each owner's sessions, which every write to them moves (counted in memory
   * when one process owns the store, kept in the database when instances share it): answers
   * to reads may then be kept until their owner's version moves. Absent: nothing is kept.
   */
  readonly changes?: ChangeVersions
  /**
   * How many reads it answers at once without making one wait (a pool's connections), for a
   * store that answers over a network: the server admits no more kept reads at once, so the
   * others wait before they make anything (`admission.ts`). Absent: reads are not admitted.
   */
  readonly readsAtOnce?: number
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>
  /**
   * Stores a new session, `Running`, with its first user message and files; `id_taken` (and
   * nothing stored) when a session of any owner has its id.
   */
  createSession(input: NewSession): Promise<SessionRecord | 'id_taken'>
  getSession(owner: string, id: string): Promise<SessionRecord | undefined>
  /**
   * Appends a user message and marks the session `Running`, unless a run is in progress.
   * Check and write are atomic, so two concurrent callers cannot both start a run.
   */
  startTurn(input: NewUserMessage): Promise<SessionRecord | 'not_found' | 'busy' | SessionFull>
  /**
   * Ends the session's run: stores the reply, if any, and the final status; returns the reply.
   * Only while the session is still `Running` that run: otherwise (flushed by another instance
   * after its lease ran out) nothing is stored and `recorded` is false. `queued`: the session has
   * turns queued behind the run (as its row counted them with the run's end), which the next
   * run takes; a session without any is not looked into for them.
   */
  finishRun(
    outcome: RunOutcome,
  ): Promise<{ reply: MessageRecord | null; recorded: boolean; queued: boolean }>
  /**
   * Reserves `count` event ids for the session's run, after every id given out before; returns
   * the first. Persisted, so ids keep increasing even after a crash mid-run. With `runId`, only
   * while that run is the session's run in progress: a run flushed or superseded meanwhile gets
   * no more ids (it throws).
   */
  reserveEventIds(sessionId: string, count: number, runId?: string): Promise<number>
  /** Sets the session's name; `updated_at` is left alone. `undefined` when there is no session. */
  renameSession(owner: string, sessionId: string, name: string): Promise<SessionRecord | undefined>
  /**
   * Changes the session's name, pin, archive, tags and metadata as `patch` says, in one
   * transaction; `updated_at` is left alone. `undefined` when there is no session,
   * `too_much_metadata` (and nothing changed) when the merged metadata has too many pairs.
   * `key`: the request's `Idempotency-Key`, taken with the change or not at all.
   */
  updateSession(
    owner: string,
    sessionId: string,
    patch: SessionPatch,
    key?: KeyCommit,
  ): Promise<SessionRecord | 'too_much_metadata' | undefined>
  /** The session without its messages. */
  getSessionHeader(owner: string, id: string): Promise<SessionHeader | undefined>
  /**
   * A page of an owner's sessions with an agent that `filter` lets through (default: those not
   * archived), most recently updated first; with their messages, or (`withMessages: false`)
   * with their `activity` instead.
   */
  listSessions(query: {
    owner: string
    agentId: string
    limit: number
    after?: SessionCursor
    filter?: SessionFilter
    withMessages?: boolean
  }): Promise<SessionPage>
  /**
   * An owner's most recently updated sessions that `filter` lets through (default: those not
   * archived), newest first, optionally of one agent: only what a summary shows is read.
   */
  recentSessions(query: {
    owner: string
    agentId?: string
    limit: number
    filter?: SessionFilter
  }): Promise<SessionSummaryRecord[]>
  /**
   * A page of the hits of `query` among the owner's session names and message texts (of one
   * agent's sessions when `agentId` is given, of those `filter` lets through: by default those
   * not archived), most relevant first, from the `offset`th.
   */
  searchSessions(query: {
    owner: string
    query: SearchQuery
    agentId?: string
    filter?: SessionFilter
    limit: number
    offset: number
  }): Promise<SearchHitPage>
  /**
   * Stores an imported session with its messages and files, as they are (ids, times, names),
   * `Ready`, in one transaction: `exists` (nothing written) when the owner has a session of
   * that id already, `conflict` (nothing written) when another owner has it or a message or
   * file id of it is taken.
   */
  importSession(
    owner: string,
    session: ImportedSession,
  ): Promise<'imported' | 'exists' | 'conflict'>
  /** A page of the owner's sessions with their messages, by id, after the id `after`. */
  exportSessions(query: { owner: string; after?: string; limit: number }): Promise<SessionRecord[]>
  /**
   * A page of the session's messages in `order`, after `after` (the `next` of the page before),
   * with their files; `undefined` when there is no such session of the owner's.
   */
  listMessages(query: {
    owner: string
    sessionId: string
    order: MessageCursor['order']
    limit: number
    after?: MessageCursor
  }): Promise<MessagePage | undefined>
  /**
   * Rates an assistant message of the owner's session, replacing an earlier rating (its
   * `createdAt` is kept); `not_found` without such a session or message, `not_assistant` for a
   * user's message.
   */
  rateMessage(input: {
    owner: string
    sessionId: string
    messageId: string
    rating: Rating
    comment?: string
    now: Date
    /** The request's `Idempotency-Key`, taken with the rating or not at all. */
    key?: KeyCommit
  }): Promise<FeedbackRecord | 'not_found' | 'not_assistant'>
  /**
   * Removes the message's rating; `not_found` when it has none (or there is no message). `key`:
   * the request's `Idempotency-Key`, taken with the removal or not at all.
   */
  deleteFeedback(
    owner: string,
    sessionId: string,
    messageId: string,
    key?: KeyCommit,
  ): Promise<'deleted' | 'not_found'>
  /** The rating of one of the owner's messages, if it has one. */
  getFeedback(
    owner: string,
    sessionId: string,
    messageId: string,
  ): Promise<FeedbackRecord | undefined>
  /**
   * A page of the ratings of the owner's sessions with `agentId` changed from `from`
   * (inclusive) to `to` (not included), newest first, of one `rating` if given; `totals`
   * counts every rating in the range.
   */
  listFeedback(query: {
    owner: string
    agentId: string
    from: Date
    to: Date
    rating?: Rating
    limit: number
    after?: SessionCursor
  }): Promise<FeedbackPage>
  /**
   * A page of every message of the session, on every branch, oldest first; with `siblingsOf`,
   * only that message and the others of its parent. `undefined`: no such session of the
   * owner's; `message_not_found`: `siblingsOf` is none of its messages.
   */
  listTree(query: {
    owner: string
    sessionId: string
    limit: number
    after?: MessageCursor
    siblingsOf?: string
  }): Promise<MessagePage | 'message_not_found' | undefined>
  /** Where one of the owner's session's messages sits in its tree. */
  getMessageNode(
    owner: string,
    sessionId: string,
    messageId: string,
  ): Promise<MessageNode | undefined>
  /**
   * Marks the session `Running` a new run whose reply follows `leafId`, which becomes the active
   * leaf (a regenerated reply), unless a run is in progress: the same atomic check as
   * `startTurn`. A session its `bounds` leave no room for a reply in is refused as a turn is.
   */
  startRun(input: NewRun): Promise<SessionRecord | 'not_found' | 'busy' | SessionFull>
  /**
   * Makes the branch of `messageId` the active one: its deepest leaf, going down through the
   * latest child at each step. Refused (`busy`) while a run is in progress. When the active leaf
   * moves, two event ids are taken for telling of it (see {@link BranchSwitch}).
   */
  switchBranch(
    owner: string,
    sessionId: string,
    messageId: string,
    key?: KeyCommit,
  ): Promise<BranchSwitch | 'not_found' | 'message_not_found' | 'busy'>
  /**
   * A new session of the same owner and agent, `Ready`, with a copy of the branch from the root
   * down to `throughMessageId` (new ids); its files share the stored bytes of the originals.
   */
  forkSession(input: NewFork): Promise<SessionRecord | 'not_found' | 'message_not_found'>
  getFile(
    owner: string,
    sessionId: string,
    fileId: string,
  ): Promise<{ file: StoredFile; data: Uint8Array<ArrayBuffer> } | undefined>
  /**
   * Deletes the session with its messages, files and stored idempotent answers, leaving no
   * trace of their content in the database file. Refuses (`busy`) while the session is
   * `Running`, unless `force` (its run must be stopped first). `key`: the request's
   * `Idempotency-Key`, taken with the delete or not at all.
   */
  deleteSession(
    owner: string,
    sessionId: string,
    options?: { force?: boolean; key?: KeyCommit },
  ): Promise<'deleted' | 'not_found' | 'busy'>
  /** A file's bytes, only the first `maxBytes` when given, so big files are not read whole. */
  readFileBytes(
    sessionId: string,
    fileId: string,
    maxBytes?: number,
  ): Promise<Uint8Array | undefined>
  /** Marks every `Running` session `Flushed` (code `interrupted`); returns how many. */
  flushInterruptedRuns(now: Date, message: string): Promise<number>
  /**
   * Extends the lease of every run of `instance` still going to `until`; returns the sessions
   * of those runs (a run missing from them was flushed by another instance).
   */
  renewLeases(instance: string, until: Date): Promise<string[]>
  /**
   * Marks `Flushed` (code `interrupted`) every `Running` session whose lease expired before
   * `now`, reserving the ids of the closing events each run never sent. Each such run is
   * flushed once, whichever instances ask at the same time.
   */
  flushExpiredRuns(now: Date, message: string): Promise<FlushedRun[]>
  /** The session's compaction note, if its conversation was ever compacted. */
  getCompaction(sessionId: string): Promise<CompactionNote | undefined>
  /** Stores the session's compaction note in place of the one before. */
  saveCompaction(sessionId: string, note: CompactionNote, now: Date): Promise<void>
  /**
   * The owner's recorded model calls from `from` (inclusive) to `to` (not included), summed by
   * agent and 15 minutes: what a report by day in any time zone is made of.
   */
  usageBuckets(query: { owner: string; from: Date; to: Date }): Promise<UsageBucket[]>
  /**
   * Queues a turn behind the owner's session's run, in one conditional write of the session's
   * row (so that the bound holds, and no run ends unseen, across instances): `not_busy`
   * (nothing stored) when the session is not `Running` any more, so the turn can start;
   * `queue_full` when `maxQueued` turns wait already.
   */
  enqueueTurn(input: NewQueuedTurn): Promise<'queued' | 'not_found' | 'not_busy' | 'queue_full'>
  /**
   * Takes a turn out of the owner's session's queue: `not_found` when it is not queued (it never
   * was, or has started). `key`: the request's `Idempotency-Key`, taken with it or not at all.
   */
  cancelQueuedTurn(
    owner: string,
    sessionId: string,
    turnId: string,
    key?: KeyCommit,
  ): Promise<'deleted' | 'not_found'>
  /** The session's oldest queued turn, with the session's owner; `undefined` when none. */
  nextQueuedTurn(sessionId: string): Promise<(QueuedTurnRecord & { owner: string }) | undefined>
  /** The sessions with queued turns and no run in progress: their queues resume at start-up. */
  idleQueues(): Promise<string[]>
  /** Throws unless the store answers and its schema is up to date. */
  checkReady(): Promise<void>
  /** The `Idempotency-Key`s, in the same database. */
  readonly idempotency: IdempotencyStore
  /**
   * The webhooks outbox, in the same database: creating, renaming and deleting a session, the
   * end of a run and the flushes write their events into it in their own transaction.
   */
  readonly webhooks: WebhookOutbox
  close(): Promise<void>
}

/** A session's summary as JSON text, with the time it is grouped by. */
export interface SummaryJson {
  updatedAt: Date
  json: string
}

/**
 * How the caller writes a summary's `agent`: the JSON text of the agent's profile (a summary
 * carries the profile the configuration has, which the store does not know).
 */
export type AgentJson = (agentId: string) => string

/**
 * The reads a sidebar and a chat poll, answered as the API's JSON text by a store that builds
 * it straight from its rows: no record, no wire object, no `JSON.stringify` of a whole answer
 * in between. Measured (issue 21): without the read cache, rows to records to wire objects to
 * JSON was most of what our own code spent on a list page. The text is byte for byte the JSON
 * of the presenters' wire objects (`test/json-reads.test.ts`); a store without these methods
 * is read through its records.
 */
export interface JsonReads {
  /** `get_session`'s answer: the owner's session with its messages; `undefined` when none. */
  getSessionJson(owner: string, id: string): Promise<string | undefined>
  /**
   * A page of `listSessions` with messages: the JSON array `get_sessions` answers in
   * `sessions`, and where the page after starts.
   */
  listSessionsJson(query: {
    owner: string
    agentId: string
    limit: number
    after?: SessionCursor
    filter?: SessionFilter
  }): Promise<{ json: string; next?: SessionCursor }>
  /** `recentSessions`, each session as the JSON text of its summary. */
  recentSessionsJson(query: {
    owner: string
    agentId?: string
    limit: number
    filter?: SessionFilter
    agentJson: AgentJson
  }): Promise<SummaryJson[]>
  /**
   * `recentSessionsJson` for each of `filters` (a grouped page's pinned group and the rest), in
   * their order, in one round trip: for a store across a network (PostgreSQL). A store without
   * it is asked once a filter.
   */
  recentSessionsJsonPages?(query: {
    owner: string
    agentId?: string
    limit: number
    filters: readonly SessionFilter[]
    agentJson: AgentJson
  }): Promise<SummaryJson[][]>
}
