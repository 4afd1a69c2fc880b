/**
 * The store over Kysely: one set of queries for SQLite and PostgreSQL. Every write of more than
 * one row runs in one transaction; a run starts with a conditional UPDATE, so two callers (on
 * one instance or on several) cannot both start a run of the same session. Every write goes
 * through the store's `WriteTransaction`, which decides how writes share commits.
 */
import { randomUUID } from 'node:crypto'
import { type Kysely, type Selectable, sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { messagePreview } from '../../domain/message-preview.ts'
import { branchTo, deepestLatestLeaf } from '../../domain/message-tree.ts'
import { rankedWordCount } from '../../domain/search-rank.ts'
import type {
  FlushedRun,
  MessageCursor,
  MessageFeedback,
  MessagePage,
  MessageRecord,
  ModelCall,
  NewFile,
  NewRun,
  NewSession,
  RunClaim,
  RunOutcome,
  SessionActivity,
  SessionBounds,
  SessionFull,
  SessionHeader,
  SessionPage,
  SessionRecord,
  SessionStore,
  SessionSummaryRecord,
  StoredFile,
  TokenUsage,
} from '../../domain/session-store.ts'
import type { WebhookBranch, WebhookRun } from '../../domain/webhook-outbox.ts'
import {
  noWebhookTargets,
  runEventType,
  type WebhookEvent,
  type WebhookTargets,
  webhookPayload,
} from '../../domain/webhooks.ts'
import { handOverChunks, insertFile, readFileBytes, readHeldBytes } from './file-rows.ts'
import { feedbackMethods, feedbackOf } from './kysely-feedback.ts'
import { createKyselyIdempotency } from './kysely-idempotency.ts'
import { createImport } from './kysely-import.ts'
import { dequeueTurn, queuedTurnsOf, queueMethods } from './kysely-queue.ts'
import { createSearch } from './kysely-search.ts'
import { createKyselyWebhooks } from './kysely-webhooks.ts'
import { legacySqliteVersions, migrationCount, migrationProvider } from './migrations.ts'
import type { Database, Dialect, FilesTable, MessagesTable, SessionsTable } from './schema.ts'
import { activityOf, filtered, UNARCHIVED } from './session-lists.ts'
import { writeStatements } from './write-statements.ts'
import { transactionPerWrite, type WriteTransaction } from './write-transaction.ts'

type SessionRow = Selectable<SessionsTable>
type FileRow = Omit<Selectable<FilesTable>, 'session_id' | 'position' | 'bytes_of'>

/** The stretch of time the usage ledger is summed by: a quarter hour fits every time zone. */
const USAGE_BUCKET_MS = 15 * 60 * 1000

const usageColumns = (usage: TokenUsage) => ({
  input_tokens: usage.inputTokens,
  output_tokens: usage.outputTokens,
  cached_tokens: usage.cachedTokens,
  usage_estimated: usage.estimated ? 1 : 0,
})

const FILE_COLUMNS = ['id', 'message_id', 'name', 'content_type', 'size', 'sha256'] as const

/** The pin, archive, tags and metadata of a session's row. */
function organiseOf(
  row: Pick<SessionRow, 'pinned' | 'archived' | 'tags' | 'metadata'>,
): Pick<SessionHeader, 'pinned' | 'archived' | 'tags' | 'metadata'> {
  return {
    pinned: Number(row.pinned) === 1,
    archived: Number(row.archived) === 1,
    // Most sessions have neither (measured, issue 21: JSON.parse was ~1% of a list page).
    tags: row.tags === '[]' ? [] : (JSON.parse(row.tags) as string[]),
    metadata: row.metadata === '{}' ? {} : (JSON.parse(row.metadata) as Record<string, string>),
  }
}

const ORGANISE_COLUMNS = ['pinned', 'archived', 'tags', 'metadata'] as const

/** What a summary shows of a session's row. */
const SUMMARY_COLUMNS = ['id', 'agent_id', 'name', 'updated_at', ...ORGANISE_COLUMNS] as const

function toSummaryRecord(
  row: Pick<SessionRow, (typeof SUMMARY_COLUMNS)[number]>,
  activity: SessionActivity,
): SessionSummaryRecord {
  return {
    activity,
    id: row.id,
    agentId: row.agent_id,
    name: row.name,
    updatedAt: new Date(Number(row.updated_at)),
    ...organiseOf(row),
  }
}

/** The activity a session's row keeps (migration 0050, `session-activity.ts`). */
const KEPT_ACTIVITY_COLUMNS = ['message_count', 'last_message_at', 'last_message_start'] as const

/**
 * A session's activity from the columns its row keeps: what `activityOf` reads from its
 * messages (the same count and latest message by position), without a statement.
 */
function keptActivity(
  row: Pick<SessionRow, (typeof KEPT_ACTIVITY_COLUMNS)[number]>,
): SessionActivity {
  const messageCount = Number(row.message_count)
  if (row.last_message_at === null) return { messageCount }
  return {
    messageCount,
    lastMessage: {
      createdAt: new Date(Number(row.last_message_at)),
      preview: messagePreview(row.last_message_start ?? ''),
    },
  }
}

function toHeader(row: SessionRow): SessionHeader {
  return {
    id: row.id,
    owner: row.owner,
    agentId: row.agent_id,
    name: row.name,
    routineId: row.routine_id,
    status: row.status,
    error:
      row.error_code === null
        ? null
        : {
            code: row.error_code as NonNullable<SessionRecord['error']>['code'],
            message: row.error_message ?? '',
          },
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    lastEventId: Number(row.event_seq),
    activeLeafId: row.active_leaf_id,
    run:
      row.status === 'Running' && row.run_id !== null
        ? {
            runId: row.run_id,
            instance: row.run_instance ?? '',
            leaseExpiresAt: new Date(Number(row.run_lease_expires_at ?? 0)),
          }
        : null,
    ...organiseOf(row),
    ...(Number(row.model_calls) > 0 && {
      usage: {
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        cachedTokens: Number(row.cached_tokens),
        estimated: Number(row.usage_estimated) > 0,
      },
    }),
  }
}

const MESSAGE_COLUMNS = [
  'id',
  'parent_id',
  'role',
  'text',
  'created_at',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'usage_estimated',
] as const
type MessageRow = Pick<Selectable<MessagesTable>, (typeof MESSAGE_COLUMNS)[number]>

function toMessage(
  row: MessageRow,
  files: StoredFile[],
  feedback?: MessageFeedback,
): MessageRecord {
  // One object of one shape, its optional fields set after: a long session's thousand
  // messages are built on every read of it (spreads cost a copy each).
  const message: MessageRecord = {
    id: row.id,
    parentId: row.parent_id,
    role: row.role,
    text: row.text,
    createdAt: new Date(Number(row.created_at)),
    files,
  }
  if (feedback) message.feedback = feedback
  if (row.input_tokens !== null)
    message.usage = {
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens ?? 0),
      cachedTokens: Number(row.cached_tokens ?? 0),
      estimated: row.usage_estimated === 1,
    }
  return message
}

function toFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
  }
}

/**
 * The files of a message without any: one frozen list for them all (records are never changed
 * in place), not a new empty one for each of a long session's messages.
 */
const NO_FILES = Object.freeze([]) as unknown as StoredFile[]

/** Files by the message they came with, in their order. */
function filesByMessage(rows: FileRow[]): Map<string, StoredFile[]> {
  const files = new Map<string, StoredFile[]>()
  for (const row of rows) {
    const list = files.get(row.message_id) ?? []
    list.push(toFile(row))
    files.set(row.message_id, list)
  }
  return files
}

const claimColumns = (run: RunClaim) => ({
  run_id: run.runId,
  run_instance: run.instance,
  run_lease_expires_at: run.leaseExpiresAt.getTime(),
})

/** A new file as stored, without its bytes. */
const toStoredFile = ({ id, name, contentType, size, sha256 }: NewFile): StoredFile => ({
  id,
  name,
  contentType,
  size,
  sha256,
})

/** The session as `createSession` stores it, without reading it back. */
function newSessionRecord(input: NewSession): SessionRecord {
  const { message } = input
  return {
    id: input.id,
    owner: input.owner,
    agentId: input.agentId,
    name: input.name,
    routineId: null,
    status: 'Running',
    error: null,
    createdAt: new Date(input.now),
    updatedAt: new Date(input.now),
    lastEventId: input.reserveEventIds ?? 0,
    run: { ...input.run, leaseExpiresAt: new Date(input.run.leaseExpiresAt) },
    pinned: false,
    archived: false,
    tags: [],
    metadata: {},
    activeLeafId: message.id,
    messages: [
      {
        id: message.id,
        parentId: null,
        role: 'user',
        text: message.text,
        createdAt: new Date(input.now),
        files: message.files.map(toStoredFile),
      },
    ],
  }
}

/** `patch` merged into `current` as RFC 7396 says: a `null` removes its key. */
function mergeMetadata(
  current: Record<string, string>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const merged = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged
}

/** The session's label rows of one kind, replaced by `pairs`. */
async function replaceLabels(
  trx: Kysely<Database>,
  sessionId: string,
  kind: 'tag' | 'meta',
  pairs: Array<[string, string]>,
): Promise<void> {
  await trx
    .deleteFrom('session_labels')
    .where('session_id', '=', sessionId)
    .where('kind', '=', kind)
    .execute()
  if (pairs.length > 0)
    await trx
      .insertInto('session_labels')
      .values(pairs.map(([key, value]) => ({ session_id: sessionId, kind, key, value })))
      .execute()
}

export interface KyselyStoreOptions {
  dialect: Dialect
  /**
   * How writes are committed; default: a transaction of their own each. SQLite groups them
   * (see `groupCommit`).
   */
  write?: WriteTransaction
  /** Which endpoints want which webhook events; default: none (the outbox stays empty). */
  webhookTargets?: WebhookTargets
  /** After a session is deleted: e.g. make sure no copy of its rows is left in a log file. */
  afterDelete?: () => Promise<void>
  /** Closes what the store was opened on (the SQLite file, the pool). */
  close(): Promise<void>
}

/**
 * The session store on a Kysely instance of either dialect.
 *
 * @example
 * ```ts
 * const store = createKyselyStore(db, { dialect: 'postgres', close: () => db.destroy() })
 * await store.migrate()
 * ```
 */
export function createKyselyStore(db: Kysely<Database>, options: KyselyStoreOptions): SessionStore {
  const { dialect } = options
  const write = options.write ?? transactionPerWrite(db)
  const webhooks = createKyselyWebhooks(
    db,
    write,
    dialect,
    options.webhookTargets ?? noWebhookTargets,
  )
  const keys = createKyselyIdempotency(db, write)
  const statements = writeStatements()
  let closed = false

  /**
   * A write that may tell of what it did: `tell` puts webhook events into the outbox in the
   * same transaction, and the dispatcher hears of them once it has committed.
   */
  async function writeTelling<T>(
    work: (
      trx: Kysely<Database>,
      tell: (at: number, ...events: WebhookEvent[]) => Promise<void>,
    ) => Promise<T>,
  ): Promise<T> {
    let told = false
    const result = await write((trx) =>
      work(trx, async (at, ...events) => {
        if (await webhooks.enqueue(trx, events, at)) told = true
      }),
    )
    if (told) webhooks.enqueued()
    return result
  }

  /** A move of the session `row` (as it is after the write) to another branch, as a webhook event. */
  const branchEvent = (
    row: SessionRow,
    at: Date,
    changedBy: WebhookBranch['changed_by'],
  ): WebhookEvent => ({
    owner: row.owner,
    sessionId: row.id,
    payload: webhookPayload('session.branch_changed', toHeader(row), at, {
      branch: { leaf_id: row.active_leaf_id ?? '', changed_by: changedBy },
    }),
  })

  /** A run's end as a webhook event: completed, cancelled or failed. */
  const runEvent = (
    header: SessionHeader,
    at: Date,
    run: WebhookRun & { id: string },
  ): WebhookEvent => ({
    owner: header.owner,
    sessionId: header.id,
    payload: webhookPayload(runEventType(run.error), header, at, { run }),
  })

  /** The flushed runs' ends, as `run.failed` events (code `interrupted`). */
  const flushEvents = (rows: SessionRow[], at: Date): WebhookEvent[] =>
    rows.map((row) =>
      runEvent(toHeader(row), at, {
        id: row.run_id ?? '',
        status: 'Flushed',
        error: { code: 'interrupted', message: row.error_message ?? '' },
        reply_message_id: null,
      }),
    )

  /** The messages of the sessions `ids`, every branch, in the order of writing, by session. */
  async function messagesOf(
    executor: Kysely<Database>,
    ids: readonly string[],
  ): Promise<Map<string, MessageRecord[]>> {
    const [fileRows, messageRows, feedback] = await Promise.all([
      executor
        .selectFrom('files')
        .select(FILE_COLUMNS)
        .$if(ids.length === 1, (query) => query.where('session_id', '=', ids[0] as string))
        .$if(ids.length > 1, (query) => query.where('session_id', 'in', ids))
        .orderBy('message_id')
        .orderBy('position')
        .execute(),
      // One session's (a read, a turn): without its id on each of the rows.
      ids.length === 1
        ? executor
            .selectFrom('messages')
            .select(MESSAGE_COLUMNS)
            .where('session_id', '=', ids[0] as string)
            .orderBy('position')
            .execute()
        : executor
            .selectFrom('messages')
            .select([...MESSAGE_COLUMNS, 'session_id'])
            .where('session_id', 'in', ids)
            .orderBy('session_id')
            .orderBy('position')
            .execute(),
      feedbackOf(executor, { sessionIds: ids }),
    ])
    const files = filesByMessage(fileRows)
    const messages = new Map<string, MessageRecord[]>()
    let list: MessageRecord[] = []
    let session: string | undefined
    for (const row of messageRows as Array<MessageRow & { session_id?: string }>) {
      // Ordered by session: a session's messages come together, its list made at the first.
      const of = row.session_id ?? (ids[0] as string)
      if (of !== session) {
        session = of
        list = []
        messages.set(session, list)
      }
      list.push(toMessage(row, files.get(row.id) ?? NO_FILES, feedback.get(row.id)))
    }
    return messages
  }

  async function withMessages(
    executor: Kysely<Database>,
    rows: SessionRow[],
  ): Promise<SessionRecord[]> {
    if (rows.length === 0) return []
    const messages = await messagesOf(
      executor,
      rows.map((row) => row.id),
    )
    const queued = await queuedTurnsOf(
      executor,
      rows.filter((row) => Number(row.queued_count) > 0).map((row) => row.id),
    )
    // Every branch is read; the session shows the active one.
    return rows.map((row) => {
      const turns = queued.get(row.id)
      return {
        ...toHeader(row),
        messages: branchTo(messages.get(row.id) ?? [], row.active_leaf_id),
        ...(turns && { queuedTurns: turns }),
      }
    })
  }

  /** The sessions without their messages, with what they hold instead. */
  async function withActivity(
    executor: Kysely<Database>,
    rows: SessionRow[],
  ): Promise<SessionRecord[]> {
    const activity = await activityOf(
      executor,
      rows.map((row) => row.id),
    )
    return rows.map((row) => ({
      ...toHeader(row),
      messages: [],
      activity: activity.get(row.id) ?? { messageCount: 0 },
    }))
  }

  /** The summaries of sessions' rows, with their activity. */
  async function summariesOf(
    rows: Array<Pick<SessionRow, (typeof SUMMARY_COLUMNS)[number]>>,
  ): Promise<SessionSummaryRecord[]> {
    const activity = await activityOf(
      db,
      rows.map((row) => row.id),
    )
    return rows.map((row) => toSummaryRecord(row, activity.get(row.id) ?? { messageCount: 0 }))
  }

  /** The owner's session: another owner's is not found. */
  const sessionRow = (executor: Kysely<Database>, owner: string, id: string) =>
    executor
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .where('owner', '=', owner)
      .executeTakeFirst()

  async function readSession(owner: string, id: string): Promise<SessionRecord | undefined> {
    const row = await sessionRow(db, owner, id)
    return row && (await withMessages(db, [row]))[0]
  }

  /**
   * Stores a message after the session's last one in the order of writing, under `parentId`
   * (absent: the active leaf), and makes it the active leaf.
   */
  async function insertMessage(
    trx: Kysely<Database>,
    message: {
      id: string
      sessionId: string
      role: MessageRecord['role']
      text: string
      parentId: string | null
    },
    now: number,
  ): Promise<void> {
    const { id, sessionId, parentId } = message
    await statements.insertNextMessage(
      trx,
      id,
      sessionId,
      parentId,
      message.role,
      message.text,
      rankedWordCount(message.text),
      now,
    )
    // A second child of its parent and the session is no longer one chain.
    await (parentId === null
      ? statements.makeRootLeaf(trx, sessionId, id)
      : statements.makeLeaf(trx, sessionId, id, parentId))
  }

  /** Where each message of the session sits in its tree, in the order of writing. */
  const treeOf = async (executor: Kysely<Database>, sessionId: string) =>
    (
      await executor
        .selectFrom('messages')
        .select(['id', 'parent_id', 'role'])
        .where('session_id', '=', sessionId)
        .orderBy('position')
        .execute()
    ).map((row) => ({ id: row.id, parentId: row.parent_id, role: row.role }))

  /**
   * Marks the session `Running` the run `input` claims, unless a run is in progress: the check
   * and the write are one statement, so of two callers, on any instance, one changes the row
   * and the other (waiting for its lock in PostgreSQL) finds it Running.
   */
  async function claimRun(
    trx: Kysely<Database>,
    input: Pick<NewRun, 'owner' | 'sessionId' | 'now' | 'run' | 'reserveEventIds' | 'queuedTurnId'>,
    leafId?: string,
  ): Promise<SessionRow | 'not_found' | 'busy'> {
    const row = await claimSession(trx, input, leafId)
    // A queued turn starts only as it leaves the queue: once, whichever instances try.
    if (typeof row === 'string' || input.queuedTurnId === undefined) return row
    if (!(await dequeueTurn(trx, input.sessionId, input.queuedTurnId))) throw new QueuedTurnGone()
    return { ...row, queued_count: Number(row.queued_count) - 1 }
  }

  async function claimSession(
    trx: Kysely<Database>,
    input: Pick<NewRun, 'owner' | 'sessionId' | 'now' | 'run' | 'reserveEventIds'>,
    leafId?: string,
  ): Promise<SessionRow | 'not_found' | 'busy'> {
    const row = await trx
      .updateTable('sessions')
      .set((eb) => ({
        status: 'Running',
        error_code: null,
        error_message: null,
        updated_at: input.now.getTime(),
        event_seq: eb('event_seq', '+', input.reserveEventIds ?? 0),
        ...claimColumns(input.run),
        ...(leafId !== undefined && { active_leaf_id: leafId }),
      }))
      .where('id', '=', input.sessionId)
      .where('owner', '=', input.owner)
      .where('status', '!=', 'Running')
      .returningAll()
      .executeTakeFirst()
    if (row) return row
    return (await sessionRow(trx, input.owner, input.sessionId)) ? 'busy' : 'not_found'
  }

  /** A message's files, in order, each with its bytes (see insertFile). */
  async function insertFiles(
    trx: Kysely<Database>,
    sessionId: string,
    messageId: string,
    files: readonly NewFile[],
  ): Promise<void> {
    for (const [position, file] of files.entries())
      await insertFile(
        trx,
        {
          id: file.id,
          session_id: sessionId,
          message_id: messageId,
          position,
          name: file.name,
          content_type: file.contentType,
          size: file.size,
          sha256: file.sha256,
        },
        file.chunks,
      )
  }

  /** A page of `rows` (one more than `limit` when more follow), with the files of its messages. */
  async function pageOf(
    sessionId: string,
    rows: (MessageRow & { position: number })[],
    limit: number,
    order: MessageCursor['order'],
  ): Promise<MessagePage> {
    const page = rows.slice(0, limit)
    const feedback = await feedbackOf(db, { messageIds: page.map((row) => row.id) })
    const fileRows =
      page.length === 0
        ? []
        : await db
            .selectFrom('files')
            .select(FILE_COLUMNS)
            .where('session_id', '=', sessionId)
            .where(
              'message_id',
              'in',
              page.map((row) => row.id),
            )
            .orderBy('message_id')
            .orderBy('position')
            .execute()
    const files = filesByMessage(fileRows)
    const last = page.at(-1)
    return {
      messages: page.map((row) => toMessage(row, files.get(row.id) ?? [], feedback.get(row.id))),
      ...(rows.length > limit && last && { next: { order, position: Number(last.position) } }),
    }
  }

  /**
   * Before a session goes: each of its files whose bytes forks share gives them to the first of
   * those forks' files, and the others name that one; the bytes stay stored once.
   */
  async function handOverSharedBytes(trx: Kysely<Database>, sessionId: string): Promise<void> {
    const sharers = await trx
      .selectFrom('files as original')
      .innerJoin('files as sharer', 'sharer.bytes_of', 'original.id')
      .select(['original.id as original', 'sharer.id as sharer'])
      .where('original.session_id', '=', sessionId)
      .where('sharer.session_id', '!=', sessionId)
      .orderBy('original.id')
      .orderBy('sharer.id')
      .execute()
    const heirs = new Map<string, string>()
    for (const { original, sharer } of sharers)
      if (!heirs.has(original)) heirs.set(original, sharer)
    for (const [original, heir] of heirs) {
      await handOverChunks(trx, original, heir)
      await trx.updateTable('files').set({ bytes_of: null }).where('id', '=', heir).execute()
      await trx
        .updateTable('files')
        .set({ bytes_of: heir })
        .where('bytes_of', '=', original)
        .where('id', '!=', heir)
        .execute()
    }
  }

  /** The run's model calls: one ledger row each, and the session's totals. */
  async function recordCalls(
    trx: Kysely<Database>,
    outcome: RunOutcome,
    calls: ModelCall[],
    now: number,
  ): Promise<void> {
    const session = await trx
      .selectFrom('sessions')
      .select(['owner', 'agent_id'])
      .where('id', '=', outcome.sessionId)
      .executeTakeFirstOrThrow()
    await trx
      .insertInto('model_usage')
      .values(
        calls.map((call) => ({
          id: randomUUID(),
          owner: session.owner,
          session_id: outcome.sessionId,
          agent_id: session.agent_id,
          run_id: outcome.runId,
          kind: call.kind,
          input_tokens: call.usage.inputTokens,
          output_tokens: call.usage.outputTokens,
          cached_tokens: call.usage.cachedTokens,
          estimated: call.usage.estimated ? 1 : 0,
          created_at: now,
        })),
      )
      .execute()
    const total = (pick: (usage: TokenUsage) => number) =>
      calls.reduce((sum, call) => sum + pick(call.usage), 0)
    await trx
      .updateTable('sessions')
      .set((eb) => ({
        model_calls: eb('model_calls', '+', calls.length),
        input_tokens: eb(
          'input_tokens',
          '+',
          total((usage) => usage.inputTokens),
        ),
        output_tokens: eb(
          'output_tokens',
          '+',
          total((usage) => usage.outputTokens),
        ),
        cached_tokens: eb(
          'cached_tokens',
          '+',
          total((usage) => usage.cachedTokens),
        ),
        ...(calls.some((call) => call.usage.estimated) && { usage_estimated: 1 }),
      }))
      .where('id', '=', outcome.sessionId)
      .execute()
  }

  return {
    idempotency: keys.store,
    ...feedbackMethods(db, write, keys),
    ...queueMethods(db, write, keys),
    webhooks,

    async migrate() {
      if (dialect === 'sqlite') await adoptLegacySqliteSchema(db)
      // Each area numbers its migrations in a range of its own (docs/architecture.md), so a
      // release may bring one numbered below a migration an earlier release already applied:
      // it is applied then, as the missing one it is.
      const migrator = new Migrator({
        db,
        provider: migrationProvider(dialect),
        allowUnorderedMigrations: true,
      })
      const { error, results } = await migrator.migrateToLatest()
      if (error) {
        const failed = results?.find((result) => result.status === 'Error')
        const reason = error instanceof Error ? error.message : String(error)
        throw new Error(
          failed
            ? `migration ${failed.migrationName} failed: ${reason}`
            : `could not migrate: ${reason}`,
          { cause: error },
        )
      }
    },

    async createSession(input) {
      const now = input.now.getTime()
      const created = await writeTelling(async (trx, tell) => {
        // An id chosen by the client (a chat's) may be taken, by another owner too: then
        // nothing is written, and nothing is said of whose it is.
        const { numAffectedRows } = await statements.insertSession(
          trx,
          input.id,
          input.owner,
          input.agentId,
          input.name,
          now,
          input.reserveEventIds ?? 0,
          input.message.id,
          input.run.runId,
          input.run.instance,
          input.run.leaseExpiresAt.getTime(),
        )
        if (numAffectedRows === 0n) return 'id_taken' as const
        // The session's first message: no need to look for the last one's position.
        await statements.insertFirstMessage(
          trx,
          input.message.id,
          input.id,
          input.message.text,
          rankedWordCount(input.message.text),
          now,
        )
        await insertFiles(trx, input.id, input.message.id, input.message.files)
        await tell(now, {
          owner: input.owner,
          sessionId: input.id,
          payload: webhookPayload('session.created', newSessionRecord(input), input.now),
        })
        if (input.key) await keys.commitIn(trx, input.key)
        return 'created' as const
      })
      return created === 'created' ? newSessionRecord(input) : 'id_taken'
    },

    getSession: readSession,

    async startTurn(input) {
      const now = input.now.getTime()
      const { bounds } = input
      // The prompt and its reply both need room.
      const adds = { messages: 2, textBytes: Buffer.byteLength(input.message.text, 'utf8') }
      const started = writeTelling(async (trx, tell) => {
        const row = await claimRun(trx, input)
        if (typeof row === 'string') {
          // Said as if counted before the claim: a session past its bounds is full while it
          // runs too, and a prompt past them alone is too much text in any session.
          return (bounds && (await sessionFull(trx, dialect, input, bounds, adds))) || row
        }
        // Read once, the session claimed (no other write adds to it now): the bounds are
        // counted from these, and the turn answers with them and the new message.
        const stored = (await messagesOf(trx, [input.sessionId])).get(input.sessionId) ?? []
        const full = bounds && pastBounds(stored, bounds, adds)
        // Thrown to roll the claim back: the turn leaves nothing.
        if (full) throw new SessionFullRefusal(full)
        // Under `parentId`, else under the active leaf, as every plain turn.
        const parentId = input.parentId === undefined ? row.active_leaf_id : input.parentId
        await insertMessage(
          trx,
          {
            id: input.message.id,
            sessionId: input.sessionId,
            role: 'user',
            text: input.message.text,
            parentId,
          },
          now,
        )
        await insertFiles(trx, input.sessionId, input.message.id, input.message.files ?? [])
        if (input.key) await keys.commitIn(trx, input.key)
        const message: MessageRecord = {
          id: input.message.id,
          parentId,
          role: 'user',
          text: input.message.text,
          createdAt: new Date(now),
          files: (input.message.files ?? []).map(toStoredFile),
        }
        const before = parentId === null ? [] : branchTo(stored, parentId)
        const updated = { ...row, active_leaf_id: input.message.id }
        // An edit (a message under another parent than the active leaf) moves the branch.
        if (input.parentId !== undefined) await tell(now, branchEvent(updated, input.now, 'edit'))
        const header = toHeader(updated)
        return { ...header, messages: [...before, message] }
      })
      return started.catch((error: unknown) => {
        if (error instanceof SessionFullRefusal) return error.full
        if (error instanceof QueuedTurnGone) return 'busy' as const
        throw error
      })
    },

    async finishRun(outcome) {
      const now = outcome.now.getTime()
      return writeTelling(async (trx, tell) => {
        const [row] = (
          await statements.endRun(
            trx,
            outcome.sessionId,
            outcome.runId,
            outcome.status,
            outcome.error?.code ?? null,
            outcome.error?.message ?? null,
            now,
            outcome.lastEventId,
          )
        ).rows
        if (!row) return { reply: null, recorded: false, queued: false }
        // Nothing moves the active leaf during a run: the reply answers it.
        const replyParent = outcome.reply ? row.active_leaf_id : null
        if (outcome.reply)
          await insertMessage(
            trx,
            {
              id: outcome.reply.id,
              sessionId: outcome.sessionId,
              role: 'assistant',
              text: outcome.reply.text,
              parentId: replyParent,
            },
            now,
          )
        const titled =
          outcome.title !== undefined &&
          (
            await trx
              .updateTable('sessions')
              .set({ name: outcome.title.name })
              .where('id', '=', outcome.sessionId)
              .where('name', '=', outcome.title.replaces)
              .executeTakeFirst()
          ).numUpdatedRows > 0n
        const calls = outcome.modelCalls ?? []
        const replyUsage = calls.find((call) => call.kind === 'reply')?.usage
        if (outcome.reply && replyUsage)
          await trx
            .updateTable('messages')
            .set(usageColumns(replyUsage))
            .where('id', '=', outcome.reply.id)
            .execute()
        if (calls.length > 0) await recordCalls(trx, outcome, calls, now)
        const header = { ...toHeader(row), ...(titled && { name: outcome.title?.name ?? '' }) }
        await tell(
          now,
          runEvent(header, outcome.now, {
            id: outcome.runId,
            status: outcome.status,
            error: outcome.error,
            reply_message_id: outcome.reply?.id ?? null,
          }),
          ...(titled
            ? [
                {
                  owner: header.owner,
                  sessionId: header.id,
                  payload: webhookPayload('session.renamed', header, outcome.now, {
                    renamedBy: 'agent',
                  }),
                },
              ]
            : []),
        )
        const reply: MessageRecord | null = outcome.reply
          ? {
              ...outcome.reply,
              parentId: replyParent,
              role: 'assistant',
              createdAt: outcome.now,
              files: [],
              ...(replyUsage && { usage: replyUsage }),
            }
          : null
        return { reply, recorded: true, queued: Number(row.queued_count) > 0 }
      })
    },

    async reserveEventIds(sessionId, count, runId) {
      const row = await write((trx) =>
        trx
          .updateTable('sessions')
          .set((eb) => ({ event_seq: eb('event_seq', '+', count) }))
          .where('id', '=', sessionId)
          .$if(runId !== undefined, (query) =>
            query.where('run_id', '=', runId ?? '').where('status', '=', 'Running'),
          )
          .returning('event_seq')
          .executeTakeFirst(),
      )
      if (!row)
        throw new Error(
          runId === undefined
            ? `No session ${sessionId} to reserve event ids for`
            : `The run ${runId} of session ${sessionId} is no longer in progress`,
        )
      return Number(row.event_seq) - count + 1
    },

    async renameSession(owner, sessionId, name) {
      return writeTelling(async (trx, tell) => {
        const row = await trx
          .updateTable('sessions')
          .set({ name })
          .where('id', '=', sessionId)
          .where('owner', '=', owner)
          .returningAll()
          .executeTakeFirst()
        if (!row) return undefined
        const at = new Date()
        await tell(at.getTime(), {
          owner,
          sessionId,
          payload: webhookPayload('session.renamed', toHeader(row), at, { renamedBy: 'owner' }),
        })
        return (await withMessages(trx, [row]))[0]
      })
    },

    async updateSession(owner, sessionId, patch, key) {
      return writeTelling(async (trx, tell) => {
        // Locked in PostgreSQL until the end: two merges of metadata at once do not lose one.
        const current = await trx
          .selectFrom('sessions')
          .select(ORGANISE_COLUMNS)
          .where('id', '=', sessionId)
          .where('owner', '=', owner)
          .$if(dialect === 'postgres', (query) => query.forUpdate())
          .executeTakeFirst()
        if (!current) return undefined
        let metadata: Record<string, string> | undefined
        if (patch.metadata) {
          metadata = mergeMetadata(organiseOf(current).metadata, patch.metadata)
          if (Object.keys(metadata).length > patch.maxMetadataPairs)
            return 'too_much_metadata' as const
        }
        const changes = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.pinned !== undefined && { pinned: patch.pinned ? 1 : 0 }),
          ...(patch.archived !== undefined && { archived: patch.archived ? 1 : 0 }),
          ...(patch.tags && { tags: JSON.stringify(patch.tags) }),
          ...(metadata && { metadata: JSON.stringify(metadata) }),
        }
        // A patch of nothing this store knows (fields of a newer API): the session as it is.
        const row =
          Object.keys(changes).length === 0
            ? await sessionRow(trx, owner, sessionId)
            : await trx
                .updateTable('sessions')
                .set(changes)
                .where('id', '=', sessionId)
                .where('owner', '=', owner)
                .returningAll()
                .executeTakeFirst()
        if (!row) return undefined
        if (patch.tags)
          await replaceLabels(
            trx,
            sessionId,
            'tag',
            patch.tags.map((tag) => [tag, '']),
          )
        if (metadata) await replaceLabels(trx, sessionId, 'meta', Object.entries(metadata))
        if (patch.name !== undefined) {
          const at = new Date()
          await tell(at.getTime(), {
            owner,
            sessionId,
            payload: webhookPayload('session.renamed', toHeader(row), at, { renamedBy: 'owner' }),
          })
        }
        if (key) await keys.commitIn(trx, key)
        return (await withMessages(trx, [row]))[0]
      })
    },

    async deleteSession(owner, sessionId, { force = false, key } = {}) {
      const outcome = await writeTelling(async (trx, tell) => {
        // The check first, as a write: in PostgreSQL it holds the row, so no turn starts before
        // the delete, while the bytes forks share are handed over.
        const row = await trx
          .updateTable('sessions')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('id', '=', sessionId)
          .where('owner', '=', owner)
          .$if(!force, (query) => query.where('status', '!=', 'Running'))
          .returningAll()
          .executeTakeFirst()
        if (!row) return (await sessionRow(trx, owner, sessionId)) ? 'busy' : 'not_found'
        await handOverSharedBytes(trx, sessionId)
        // Messages, files and run events go with the session (ON DELETE CASCADE).
        await trx.deleteFrom('sessions').where('id', '=', sessionId).execute()
        const at = new Date()
        await tell(at.getTime(), {
          owner,
          sessionId,
          payload: webhookPayload('session.deleted', toHeader(row), at),
        })
        // Stored answers hold the session's messages too.
        await trx
          .deleteFrom('idempotency_keys')
          .where('session_id', '=', sessionId)
          .where('owner', '=', owner)
          .execute()
        if (key) await keys.commitIn(trx, key)
        return 'deleted'
      })
      if (outcome === 'deleted') await options.afterDelete?.()
      return outcome
    },

    async getSessionHeader(owner, id) {
      const row = await sessionRow(db, owner, id)
      return row && toHeader(row)
    },

    async listSessions(query) {
      const { owner, agentId, limit, after, filter = UNARCHIVED } = query
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('owner', '=', owner)
        .where('agent_id', '=', agentId)
        .$call((query) => filtered(query, filter))
        .$if(after !== undefined, (query) =>
          query.where((eb) =>
            eb(
              eb.refTuple('updated_at', 'id'),
              '<',
              eb.tuple(after?.updatedAt.getTime() ?? 0, after?.id ?? ''),
            ),
          ),
        )
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute()
      const pageRows = rows.slice(0, limit)
      const page: SessionPage = {
        sessions:
          query.withMessages === false
            ? await withActivity(db, pageRows)
            : await withMessages(db, pageRows),
      }
      const last = page.sessions.at(-1)
      if (rows.length > limit && last) page.next = { updatedAt: last.updatedAt, id: last.id }
      return page
    },

    async recentSessions({ owner, agentId, limit, filter = UNARCHIVED }) {
      const rows = await db
        .selectFrom('sessions')
        .select(SUMMARY_COLUMNS)
        .where('owner', '=', owner)
        .$if(agentId !== undefined, (query) => query.where('agent_id', '=', agentId as string))
        .$call((query) => filtered(query, filter))
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return summariesOf(rows)
    },

    // A page of hits reads its sessions' activity from their rows: through `activityOf`, a
    // count and a latest message of each session's messages were a statement of every search.
    searchSessions: createSearch(db, dialect, async (ids) =>
      (
        await db
          .selectFrom('sessions')
          .select([...SUMMARY_COLUMNS, ...KEPT_ACTIVITY_COLUMNS])
          .where('id', 'in', ids)
          .execute()
      ).map((row) => toSummaryRecord(row, keptActivity(row))),
    ),

    importSession: createImport(write),

    async exportSessions({ owner, after, limit }) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('owner', '=', owner)
        .$if(after !== undefined, (query) => query.where('id', '>', after as string))
        .orderBy('id')
        .limit(limit)
        .execute()
      return withMessages(db, rows)
    },

    async listMessages({ owner, sessionId, order, limit, after }) {
      const session = await db
        .selectFrom('sessions')
        .select(['id', 'branched'])
        .where('id', '=', sessionId)
        .where('owner', '=', owner)
        .executeTakeFirst()
      if (!session) return undefined
      // One more than asked for: whether a next page follows.
      const rows = Number(session.branched) === 0 ? await chainPage() : await branchPage()
      return pageOf(sessionId, rows, limit, order)

      /**
       * One chain: the active branch is every message down to the leaf, a range of positions
       * (a page of a long session costs a page, not a walk up the whole branch).
       */
      function chainPage() {
        return db
          .selectFrom('messages')
          .select([...MESSAGE_COLUMNS, 'position'])
          .where('session_id', '=', sessionId)
          .where('position', '<=', (eb) =>
            eb
              .selectFrom('messages as leaf')
              .innerJoin('sessions', 'sessions.active_leaf_id', 'leaf.id')
              .select('leaf.position')
              .where('sessions.id', '=', sessionId)
              .whereRef('leaf.session_id', '=', 'sessions.id'),
          )
          .$if(after !== undefined, (query) =>
            query.where('position', order === 'asc' ? '>' : '<', after?.position ?? 0),
          )
          .orderBy('position', order)
          .limit(limit + 1)
          .execute()
      }

      /** Branches: the active one, up from its leaf. */
      function branchPage() {
        return db
          .withRecursive('branch(id, parent_id)', (cte) =>
            cte
              .selectFrom('messages')
              .select(['id', 'parent_id'])
              .where('id', '=', (eb) =>
                eb.selectFrom('sessions').select('active_leaf_id').where('id', '=', sessionId),
              )
              .unionAll((eb) =>
                eb
                  .selectFrom('messages')
                  .innerJoin('branch', 'branch.parent_id', 'messages.id')
                  .select(['messages.id', 'messages.parent_id'])
                  .where('messages.session_id', '=', sessionId),
              ),
          )
          .selectFrom('messages')
          .select([...MESSAGE_COLUMNS, 'position'])
          .where('session_id', '=', sessionId)
          .where('id', 'in', (eb) => eb.selectFrom('branch').select('branch.id'))
          .$if(after !== undefined, (query) =>
            query.where('position', order === 'asc' ? '>' : '<', after?.position ?? 0),
          )
          .orderBy('position', order)
          .limit(limit + 1)
          .execute()
      }
    },

    async listTree({ owner, sessionId, limit, after, siblingsOf }) {
      const session = await sessionRow(db, owner, sessionId)
      if (!session) return undefined
      let parent: { id: string | null } | undefined
      if (siblingsOf !== undefined) {
        const target = await db
          .selectFrom('messages')
          .select('parent_id')
          .where('session_id', '=', sessionId)
          .where('id', '=', siblingsOf)
          .executeTakeFirst()
        if (!target) return 'message_not_found'
        parent = { id: target.parent_id }
      }
      const rows = await db
        .selectFrom('messages')
        .select([...MESSAGE_COLUMNS, 'position'])
        .where('session_id', '=', sessionId)
        .$if(parent !== undefined, (query) =>
          parent?.id == null
            ? query.where('parent_id', 'is', null)
            : query.where('parent_id', '=', parent.id),
        )
        .$if(after !== undefined, (query) => query.where('position', '>', after?.position ?? 0))
        .orderBy('position', 'asc')
        .limit(limit + 1)
        .execute()
      return {
        ...(await pageOf(sessionId, rows, limit, 'asc')),
        activeLeafId: session.active_leaf_id,
      }
    },

    async getMessageNode(owner, sessionId, messageId) {
      const row = await db
        .selectFrom('messages')
        .innerJoin('sessions', 'sessions.id', 'messages.session_id')
        .select(['messages.id', 'messages.parent_id', 'messages.role'])
        .where('messages.id', '=', messageId)
        .where('messages.session_id', '=', sessionId)
        .where('sessions.owner', '=', owner)
        .executeTakeFirst()
      return row && { id: row.id, parentId: row.parent_id, role: row.role }
    },

    async startRun(input) {
      const started = writeTelling(async (trx, tell) => {
        if (input.bounds) {
          // A regenerated reply adds one message and no prompt.
          const full = await sessionFull(trx, dialect, input, input.bounds, {
            messages: 1,
            textBytes: 0,
          })
          if (full) return full
        }
        const row = await claimRun(trx, input, input.leafId)
        if (typeof row === 'string') return row
        if (input.key) await keys.commitIn(trx, input.key)
        await tell(input.now.getTime(), branchEvent(row, input.now, 'regenerate'))
        return (await withMessages(trx, [row]))[0] as SessionRecord
      })
      return started.catch((error: unknown) => {
        if (error instanceof QueuedTurnGone) return 'busy' as const
        throw error
      })
    },

    async switchBranch(owner, sessionId, messageId, key) {
      return writeTelling(async (trx, tell) => {
        const session = await sessionRow(trx, owner, sessionId)
        if (!session) return 'not_found' as const
        const nodes = await treeOf(trx, sessionId)
        if (!nodes.some((node) => node.id === messageId)) return 'message_not_found' as const
        const leaf = deepestLatestLeaf(nodes, messageId)
        // Two event ids when the leaf moves: the `branch` event and the status after it.
        const moved = leaf !== session.active_leaf_id
        // The same rule as a turn's: a run's reply goes under the leaf it started from.
        const row = await trx
          .updateTable('sessions')
          .set((eb) => ({
            active_leaf_id: leaf,
            ...(moved && { event_seq: eb('event_seq', '+', 2) }),
          }))
          .where('id', '=', sessionId)
          .where('owner', '=', owner)
          .where('status', '!=', 'Running')
          .returningAll()
          .executeTakeFirst()
        if (!row) return 'busy' as const
        if (key) await keys.commitIn(trx, key)
        if (moved) {
          const at = new Date()
          await tell(at.getTime(), branchEvent(row, at, 'switch'))
        }
        const switched = (await withMessages(trx, [row]))[0] as SessionRecord
        return {
          session: switched,
          ...(moved && { branchEventId: Number(row.event_seq) - 1 }),
        }
      })
    },

    async forkSession(input) {
      const now = input.now.getTime()
      return writeTelling(async (trx, tell) => {
        const source = await sessionRow(trx, input.owner, input.sourceId)
        if (!source) return 'not_found' as const
        const nodes = await treeOf(trx, input.sourceId)
        const branch = branchTo(nodes, input.throughMessageId)
        if (branch.length === 0) return 'message_not_found' as const
        const copied = await trx
          .selectFrom('messages')
          .select(MESSAGE_COLUMNS)
          .where('session_id', '=', input.sourceId)
          .where(
            'id',
            'in',
            branch.map((node) => node.id),
          )
          .orderBy('position')
          .execute()
        const ids = new Map(copied.map((message) => [message.id, input.newId()]))
        const leaf = ids.get(input.throughMessageId) ?? null
        await trx
          .insertInto('sessions')
          .values({
            id: input.id,
            owner: input.owner,
            agent_id: source.agent_id,
            name: source.name,
            status: 'Ready',
            created_at: now,
            updated_at: now,
            active_leaf_id: leaf,
          })
          .execute()
        for (const [position, message] of copied.entries())
          await trx
            .insertInto('messages')
            .values({
              ...message,
              id: ids.get(message.id) as string,
              ranked_words: rankedWordCount(message.text),
              session_id: input.id,
              position,
              parent_id: message.parent_id === null ? null : (ids.get(message.parent_id) ?? null),
            })
            .execute()
        // The files name the bytes of the originals (or what those name): stored once.
        const files = await trx
          .selectFrom('files')
          .select([...FILE_COLUMNS, 'position', 'bytes_of'])
          .where('session_id', '=', input.sourceId)
          .where('message_id', 'in', [...ids.keys()])
          .execute()
        for (const file of files)
          await trx
            .insertInto('files')
            .values({
              id: input.newId(),
              session_id: input.id,
              message_id: ids.get(file.message_id) as string,
              position: file.position,
              name: file.name,
              content_type: file.content_type,
              size: file.size,
              sha256: file.sha256,
              bytes_of: file.bytes_of ?? file.id,
            })
            .execute()
        if (input.key) await keys.commitIn(trx, input.key)
        const row = await sessionRow(trx, input.owner, input.id)
        if (row)
          await tell(now, {
            owner: input.owner,
            sessionId: input.id,
            payload: webhookPayload('session.forked', toHeader(row), input.now, {
              forkedFrom: { session_id: input.sourceId, message_id: input.throughMessageId },
            }),
          })
        return (await withMessages(trx, row ? [row] : []))[0] as SessionRecord
      })
    },

    async getFile(owner, sessionId, fileId) {
      const row = await db
        .selectFrom('files')
        .select([...FILE_COLUMNS, (eb) => eb.fn.coalesce('bytes_of', 'id').as('holder')])
        .where('files.session_id', '=', sessionId)
        .where('files.id', '=', fileId)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('sessions')
              .select('sessions.id')
              .whereRef('sessions.id', '=', 'files.session_id')
              .where('sessions.owner', '=', owner),
          ),
        )
        .executeTakeFirst()
      if (!row) return undefined
      const data = (await readHeldBytes(db, row.holder)) as Uint8Array<ArrayBuffer>
      return { file: toFile(row), data }
    },

    readFileBytes(sessionId, fileId, maxBytes) {
      return readFileBytes(db, sessionId, fileId, maxBytes)
    },

    async flushInterruptedRuns(now, message) {
      const rows = await writeTelling(async (trx, tell) => {
        const flushed = await trx
          .updateTable('sessions')
          .set({
            status: 'Flushed',
            error_code: 'interrupted',
            error_message: message,
            updated_at: now.getTime(),
            run_instance: null,
            run_lease_expires_at: null,
          })
          .where('status', '=', 'Running')
          .returningAll()
          .execute()
        await tell(now.getTime(), ...flushEvents(flushed, now))
        return flushed
      })
      return rows.length
    },

    async renewLeases(instance, until) {
      const rows = await write((trx) =>
        trx
          .updateTable('sessions')
          .set({ run_lease_expires_at: until.getTime() })
          .where('run_instance', '=', instance)
          .where('status', '=', 'Running')
          .returning('id')
          .execute(),
      )
      return rows.map((row) => row.id)
    },

    async flushExpiredRuns(now, message): Promise<FlushedRun[]> {
      // One statement: of instances flushing at the same time, each run goes to one of them.
      const rows = await writeTelling(async (trx, tell) => {
        const flushed = await trx
          .updateTable('sessions')
          .set((eb) => ({
            status: 'Flushed',
            error_code: 'interrupted',
            error_message: message,
            updated_at: now.getTime(),
            event_seq: eb('event_seq', '+', 2),
            // Every id the run could have given out (its reserved blocks) is fenced off.
            event_fence: eb.ref('event_seq'),
            run_instance: null,
            run_lease_expires_at: null,
          }))
          .where('status', '=', 'Running')
          .where('run_lease_expires_at', '<', now.getTime())
          .returningAll()
          .execute()
        await tell(now.getTime(), ...flushEvents(flushed, now))
        return flushed
      })
      return rows.map((row) => ({
        sessionId: row.id,
        runId: row.run_id ?? '',
        errorEventId: Number(row.event_seq) - 1,
        statusEventId: Number(row.event_seq),
      }))
    },

    async getCompaction(sessionId) {
      const row = await db
        .selectFrom('session_compactions')
        .select(['through_message_id', 'summary', 'summary_tokens'])
        .where('session_id', '=', sessionId)
        .executeTakeFirst()
      return (
        row && {
          throughMessageId: row.through_message_id,
          summary: row.summary,
          summaryTokens: Number(row.summary_tokens),
        }
      )
    },

    async saveCompaction(sessionId, note, at) {
      const values = {
        through_message_id: note.throughMessageId,
        summary: note.summary,
        summary_tokens: note.summaryTokens,
        created_at: at.getTime(),
      }
      await write((trx) =>
        trx
          .insertInto('session_compactions')
          .values({ session_id: sessionId, ...values })
          .onConflict((conflict) => conflict.column('session_id').doUpdateSet(values))
          .execute(),
      )
    },

    async usageBuckets({ owner, from, to }) {
      const start = sql<number>`created_at / ${USAGE_BUCKET_MS}`
      const rows = await db
        .selectFrom('model_usage')
        .select((eb) => [
          'agent_id',
          start.as('bucket'),
          eb.fn.countAll<number>().as('calls'),
          eb.fn.sum<number>('input_tokens').as('input_tokens'),
          eb.fn.sum<number>('output_tokens').as('output_tokens'),
          eb.fn.sum<number>('cached_tokens').as('cached_tokens'),
          eb.fn.max<number>('estimated').as('estimated'),
        ])
        .where('owner', '=', owner)
        .where('created_at', '>=', from.getTime())
        .where('created_at', '<', to.getTime())
        .groupBy(['agent_id', start])
        .orderBy('bucket')
        .execute()
      return rows.map((row) => ({
        agentId: row.agent_id,
        start: Number(row.bucket) * USAGE_BUCKET_MS,
        calls: Number(row.calls),
        usage: {
          inputTokens: Number(row.input_tokens),
          outputTokens: Number(row.output_tokens),
          cachedTokens: Number(row.cached_tokens),
          estimated: Number(row.estimated) > 0,
        },
      }))
    },

    async checkReady() {
      const { rows } = await sql<{ applied: number | string }>`
        SELECT COUNT(*) AS applied FROM kysely_migration`.execute(db)
      // Applied out of order, the last name says nothing of the ones below it: count them.
      if (Number(rows[0]?.applied ?? 0) < migrationCount(dialect))
        throw new Error('migrations are not applied')
    },

    async close() {
      if (closed) return
      closed = true
      await options.close()
    },
  }
}

/**
 * A SQLite database made before the store moved to Kysely keeps its own record of applied
 * migrations: carry it over to Kysely's, so that the same tables are not made twice.
 */
/**
 * Whether a turn on the session `input` that adds `adds.messages` messages (its prompt and its
 * reply, or a reply alone) and `adds.textBytes` bytes of prompt would take it past `bounds`: how
 * many messages it holds, on every branch, and the UTF-8 bytes of their texts, counted in the
 * turn's transaction (the owner's session only, so that another owner's id says nothing).
 * Lengths come from the rows' headers, not their texts. A turn with a prompt, once it has its
 * claim, counts the messages it reads anyway instead ({@link pastBounds}).
 */
async function sessionFull(
  trx: Kysely<Database>,
  dialect: Dialect,
  input: { owner: string; sessionId: string },
  bounds: SessionBounds,
  adds: { messages: number; textBytes: number },
): Promise<SessionFull | undefined> {
  const bytes =
    dialect === 'postgres'
      ? sql<number>`octet_length(m.text)`
      : sql<number>`length(CAST(m.text AS BLOB))`
  const row = await trx
    .selectFrom('messages as m')
    .innerJoin('sessions as s', 's.id', 'm.session_id')
    .where('s.id', '=', input.sessionId)
    .where('s.owner', '=', input.owner)
    .select((eb) => [
      eb.fn.countAll<number>().as('count'),
      eb.fn.coalesce(eb.fn.sum<number>(bytes), sql<number>`0`).as('bytes'),
    ])
    .executeTakeFirst()
  if (Number(row?.count ?? 0) + adds.messages > bounds.maxMessages) return 'too_many_messages'
  if (Number(row?.bytes ?? 0) + adds.textBytes > bounds.maxTextBytes) return 'too_much_text'
  return undefined
}

/** What {@link sessionFull} says of a session holding `messages` (every branch), from them. */
function pastBounds(
  messages: readonly MessageRecord[],
  bounds: SessionBounds,
  adds: { messages: number; textBytes: number },
): SessionFull | undefined {
  if (messages.length + adds.messages > bounds.maxMessages) return 'too_many_messages'
  let bytes = adds.textBytes
  for (const message of messages) bytes += Buffer.byteLength(message.text, 'utf8')
  return bytes > bounds.maxTextBytes ? 'too_much_text' : undefined
}

/** A queued turn's start that found it out of the queue, thrown to roll the claim back. */
class QueuedTurnGone extends Error {
  constructor() {
    super('the queued turn is no longer queued')
    this.name = 'QueuedTurnGone'
  }
}

/** A turn refused for its session's bounds, thrown out of its transaction to roll it back. */
class SessionFullRefusal extends Error {
  constructor(readonly full: SessionFull) {
    super(`the session is full: ${full}`)
    this.name = 'SessionFullRefusal'
  }
}

async function adoptLegacySqliteSchema(db: Kysely<Database>): Promise<void> {
  const tables = await db.introspection.getTables()
  const names = new Set(tables.map((table) => table.name))
  if (!names.has('schema_migrations') || names.has('kysely_migration')) return
  const { rows } = await sql<{ version: number }>`SELECT version FROM schema_migrations`.execute(db)
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('kysely_migration')
      .ifNotExists()
      .addColumn('name', 'varchar(255)', (col) => col.notNull().primaryKey())
      .addColumn('timestamp', 'varchar(255)', (col) => col.notNull())
      .execute()
    for (const { version } of rows) {
      const name = legacySqliteVersions[version]
      if (!name) throw new Error(`unknown legacy schema version ${version}`)
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${name}, ${new Date().toISOString()})`.execute(
        trx,
      )
    }
  })
}
