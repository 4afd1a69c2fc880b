// Ids of sessions, messages and files are UUIDv7 (time, then a counter within the millisecond):
// rows written together sort together, so a batch of writes lands in a few index pages at the
// end instead of one random page each. The time in an id is no secret: the resource shows it.
import type { BusyPolicy, MessageRole } from '@uxmate/contract'
import { v7 as uuidv7 } from 'uuid'
import type { Agent } from './agent.ts'
import type { AgentRegistry } from './agent-registry.ts'
import type { Clock } from './clock.ts'
import { EVENT_ID_BLOCK } from './event-ids.ts'
import { filesStored } from './file-chunks.ts'
import type { KeyCommit, KeyedRequest, KeyOutcome } from './idempotency-store.ts'
import {
  decodeCursor,
  decodeMessageCursor,
  encodeCursor,
  encodeMessageCursor,
} from './page-cursor.ts'
import { type CalendarDay, dayIn, groupByRecency, isKnownTimeZone } from './recency-buckets.ts'
import type { RunCoordinator, StartOptions } from './run-coordinator.ts'
import { sessionFilter } from './session-filter.ts'
import { type SearchProblem, type SearchResult, searchSessions } from './session-search.ts'
import type {
  AgentJson,
  FeedbackRecord,
  MessageCursor,
  MessageRecord,
  NewFile,
  QueuedTurnRecord,
  Rating,
  RunClaim,
  SessionBounds,
  SessionCursor,
  SessionFilter,
  SessionFull,
  SessionHeader,
  SessionPatch,
  SessionRecord,
  SessionStore,
  SessionSummaryRecord,
  StoredFile,
  SummaryJson,
} from './session-store.ts'
import { titleFromPrompt } from './session-title.ts'
import { exportSessions, type ImportReport, importSessions } from './session-transfer.ts'
import { type UsageReport, type UsageReportProblem, usageReport } from './usage-report.ts'

export interface SessionServiceOptions {
  store: SessionStore
  agents: AgentRegistry
  clock: Clock
  runs: RunCoordinator
  /** How long a caller that waits for a run waits at most. */
  runWaitMs: number
  /** How large a session may grow; none: without end. */
  bounds?: SessionBounds
  /** The most turns that wait behind a session's run (`on_busy=enqueue`); default 10. */
  maxQueuedTurns?: number
}

/** What queuing a turn comes to: queued, or why not (`not_busy`: start it instead). */
type Enqueued = QueuedResult | 'queue_full' | 'not_busy' | 'not_found'

/** A turn that waits behind the session's run, and the session as it then was. */
export interface QueuedResult {
  queued: QueuedTurnRecord
  session: SessionRecord
}

/** How the caller wants to hear about the run it starts. */
export interface TurnOptions {
  /** Answer at once with the session `Running` instead of waiting for the run. */
  respondAsync: boolean
  /** What the turn does when the session is busy; default `reject`. */
  onBusy?: BusyPolicy
  /** When the turn was asked for (ms): an interrupt stops only a run started before. */
  askedAt?: number
}

export type CreateResult = SessionRecord | 'agent_not_found' | 'too_much_text'
export type ContinueResult =
  | SessionRecord
  | QueuedResult
  | 'not_found'
  | 'busy'
  | 'queue_full'
  | 'agent_not_found'
  | SessionFull
export type SessionResult = SessionRecord | 'not_found'
/**
 * What a retry answers: the session its request is about, a message's rating (a rating's), or
 * nothing (a delete's).
 */
export type ResumeResult = SessionResult | { rating: FeedbackRecord } | 'nothing'
export type ChatTurnResult = ContinueResult | 'agent_required' | 'id_taken'
/** A turn on a message: `message_not_found`, or `wrong_role` when it is not the kind the turn takes. */
export type BranchTurnResult = ContinueResult | 'message_not_found' | 'wrong_role'

/** A page of a session's tree: every branch's messages, and the active leaf. */
export interface MessageTree extends MessageList {
  activeLeafId: string | null
}

/** A page of an owner's sessions with an agent; `nextCursor` is where the next page starts. */
export interface SessionList {
  sessions: SessionRecord[]
  nextCursor?: string
}

/** A page of an agent's ratings in `from`..`to`, with the range's totals. */
export interface FeedbackList {
  from: Date
  to: Date
  entries: FeedbackRecord[]
  totals: Record<Rating, number>
  nextCursor?: string
}

/** The range of ratings listed when none is given: the 30 days before `to`. */
const FEEDBACK_RANGE_MS = 30 * 86_400_000

/** A page of a session's messages; `nextCursor` is where the next page starts. */
export interface MessageList {
  messages: MessageRecord[]
  nextCursor?: string
}

/** An owner's recent sessions by recency bucket, as of `day` (they move on the next day). */
export interface GroupedSessions<Summary = SessionSummaryRecord> {
  /** The pinned sessions, newest first, when asked for in a group of their own. */
  pinned?: Summary[]
  groups: Map<string, Summary[]>
  day: CalendarDay
}

/** What `grouped` is asked. */
export interface GroupedQuery {
  owner: string
  agentId?: string
  limit: number
  timeZone: string
  filter?: SessionFilter
  /** Pinned sessions in `pinned`, out of the buckets (up to `limit` of each). */
  pinnedGroup?: boolean
}

/** The most metadata pairs a session holds (openapi.yaml's `SessionMetadata`). */
export const MAX_METADATA_PAIRS = 16

/**
 * How many times a delete cancels a run and tries again when a new run slipped in between
 * (a PUT right after the cancel) before deleting regardless.
 */
const DELETE_ATTEMPTS = 5

/** Queued turns a session's queue skips at most in one go (their message is gone, or no room). */
const QUEUE_STEPS = 8

/**
 * What users do with sessions: open one, continue it. Each turn stores the user's message, then
 * starts the agent's run in the background; the caller either waits for it or not. Every
 * method acts for an `owner`: another owner's sessions are not found.
 */
export class SessionService {
  readonly #options: SessionServiceOptions
  /**
   * Sessions whose queue must not move on when their run ends here: an interrupt's turn comes
   * first, and a session being deleted starts nothing more.
   */
  readonly #held = new Set<string>()

  constructor(options: SessionServiceOptions) {
    this.#options = options
  }

  /** The most turns that wait behind a session's run. */
  get maxQueuedTurns(): number {
    return this.#options.maxQueuedTurns ?? 10
  }

  /** How large a session may grow, as configured; none: without end. */
  get bounds(): SessionBounds | undefined {
    return this.#options.bounds
  }

  /**
   * Opens a session with the user's first message and its files, and starts the agent's run.
   * Takes the files over: the list `input.files` is emptied once they are stored, so that while
   * the caller waits for the run (as long as the run wait) no holder of that list keeps their
   * bytes alive. `key`: the request's `Idempotency-Key`, taken with the new session.
   */
  async create(
    input: { owner: string; agentId: string; text: string; files: Omit<NewFile, 'id'>[] },
    options: TurnOptions,
    key?: KeyedRequest,
  ): Promise<CreateResult> {
    const agent = this.#options.agents.get(input.agentId)
    if (!agent) return 'agent_not_found'
    const session = await this.#open(input, agent.profile.id, key && { key, turn: options })
    filesStored(input.files)
    // A new id: never taken.
    if (session === 'id_taken') throw new Error('a new session id was taken')
    if (session === 'too_much_text') return session
    this.#launch(session, agent)
    return this.#settle(session, options)
  }

  /**
   * A turn of a chat whose id the frontend chose (the AI SDK's `useChat`): continues the
   * owner's session of that id, or opens it with the agent `agentId`. Answers at once, with
   * the run started: the caller follows it. `id_taken`: another owner's session has the id.
   */
  async chatTurn(input: {
    owner: string
    chatId: string
    agentId: string | undefined
    text: string
    files: Omit<NewFile, 'id'>[]
    onBusy?: BusyPolicy
    askedAt?: number
  }): Promise<ChatTurnResult> {
    const { owner, chatId, text, files, onBusy, askedAt } = input
    const now = {
      respondAsync: true,
      ...(onBusy && { onBusy }),
      ...(askedAt !== undefined && { askedAt }),
    }
    if (await this.#options.store.getSessionHeader(owner, chatId))
      return this.continue(owner, chatId, text, now, files)
    if (input.agentId === undefined) return 'agent_required'
    const agent = this.#options.agents.get(input.agentId)
    if (!agent) return 'agent_not_found'
    const session = await this.#open({ owner, text, files, id: chatId }, agent.profile.id)
    filesStored(files)
    if (session === 'id_taken' || session === 'too_much_text') return session
    this.#launch(session, agent)
    return session
  }

  /**
   * A new user message, with `files` if any, and the agent's run on it; takes the files over as
   * `create` does. `key`: the request's `Idempotency-Key`, taken with the message.
   */
  async continue(
    owner: string,
    sessionId: string,
    text: string,
    options: TurnOptions,
    files: Omit<NewFile, 'id'>[] = [],
    key?: KeyedRequest,
  ): Promise<ContinueResult> {
    const { store, agents, clock, runs } = this.#options
    const existing = await store.getSessionHeader(owner, sessionId)
    if (!existing) return 'not_found'
    const agent = agents.get(existing.agentId)
    if (!agent) return 'agent_not_found'
    const attempt = () => {
      const now = clock.now()
      const run = runs.claim(now)
      return store.startTurn({
        owner,
        sessionId,
        now,
        message: { id: uuidv7(), text, files: files.map((file) => ({ ...file, id: uuidv7() })) },
        run,
        reserveEventIds: EVENT_ID_BLOCK,
        ...(key && { key: turnKey(key, sessionId, run, options) }),
        ...(this.#options.bounds && { bounds: this.#options.bounds }),
      })
    }
    const session = await this.#unlessBusy(owner, sessionId, options, attempt, () =>
      this.#enqueue(owner, sessionId, { kind: 'continue', text, messageId: null }, key),
    )
    filesStored(files)
    if (typeof session === 'string' || 'queued' in session) return session
    this.#launch(session, agent)
    return this.#settle(session, options)
  }

  /**
   * A new reply to the history an assistant message answered: a sibling of that message, on a
   * branch that becomes the active one. The old reply stays in the tree.
   */
  async regenerate(
    owner: string,
    sessionId: string,
    messageId: string,
    options: TurnOptions,
    key?: KeyedRequest,
  ): Promise<BranchTurnResult> {
    const { store, clock, runs } = this.#options
    const attempt = async () => {
      const found = await this.#turnTarget(owner, sessionId, messageId, 'assistant')
      if (typeof found === 'string') return found
      const { agent, node } = found
      if (node.parentId === null) return 'wrong_role'
      const now = clock.now()
      const run = runs.claim(now)
      const session = await store.startRun({
        owner,
        sessionId,
        now,
        leafId: node.parentId,
        run,
        reserveEventIds: EVENT_ID_BLOCK,
        ...(key && { key: turnKey(key, sessionId, run, options) }),
        ...(this.#options.bounds && { bounds: this.#options.bounds }),
      })
      return typeof session === 'string' ? session : { session, agent }
    }
    const started = await this.#unlessBusy(owner, sessionId, options, attempt, async () => {
      const node = await store.getMessageNode(owner, sessionId, messageId)
      if (!node) return 'message_not_found'
      if (node.role !== 'assistant' || node.parentId === null) return 'wrong_role'
      return this.#enqueue(owner, sessionId, { kind: 'regenerate', text: null, messageId }, key)
    })
    if (typeof started === 'string' || 'queued' in started) return started
    this.#launch(started.session, started.agent, { branched: true })
    return this.#settle(started.session, options)
  }

  /**
   * An edited user message: a sibling of `messageId` with `text` (and `files`), on a branch that
   * becomes the active one, and the agent's run on it. The old branch stays in the tree.
   */
  async edit(
    owner: string,
    sessionId: string,
    messageId: string,
    input: { text: string; files: Omit<NewFile, 'id'>[] },
    options: TurnOptions,
    key?: KeyedRequest,
  ): Promise<BranchTurnResult> {
    const { store, clock, runs } = this.#options
    const attempt = async () => {
      const found = await this.#turnTarget(owner, sessionId, messageId, 'user')
      if (typeof found === 'string') return found
      const now = clock.now()
      const run = runs.claim(now)
      const session = await store.startTurn({
        owner,
        sessionId,
        now,
        ...(key && { key: turnKey(key, sessionId, run, options) }),
        parentId: found.node.parentId,
        message: {
          id: uuidv7(),
          text: input.text,
          files: input.files.map((file) => ({ ...file, id: uuidv7() })),
        },
        run,
        reserveEventIds: EVENT_ID_BLOCK,
        ...(this.#options.bounds && { bounds: this.#options.bounds }),
      })
      return typeof session === 'string' ? session : { session, agent: found.agent }
    }
    // A queued edit holds its text only: the route refuses files with on_busy=enqueue.
    const queue = { kind: 'edit' as const, text: input.text, messageId }
    const started = await this.#unlessBusy(owner, sessionId, options, attempt, async () => {
      const node = await store.getMessageNode(owner, sessionId, messageId)
      if (!node) return 'message_not_found'
      if (node.role !== 'user') return 'wrong_role'
      return this.#enqueue(owner, sessionId, queue, key)
    })
    filesStored(input.files)
    if (typeof started === 'string' || 'queued' in started) return started
    this.#launch(started.session, started.agent, { branched: true })
    return this.#settle(started.session, options)
  }

  /**
   * Makes the branch of `messageId` the session's active one (its deepest latest leaf); when
   * that moves the active leaf, the session's event stream tells of it.
   */
  async switchBranch(
    owner: string,
    sessionId: string,
    messageId: string,
    key?: KeyedRequest,
  ): Promise<SessionRecord | 'not_found' | 'message_not_found' | 'busy'> {
    const switched = await this.#options.store.switchBranch(
      owner,
      sessionId,
      messageId,
      key && { ...key, sessionId },
    )
    if (typeof switched === 'string') return switched
    if (switched.branchEventId !== undefined)
      this.#options.runs.announceBranch(switched.session, switched.branchEventId)
    return switched.session
  }

  /** A new session of the owner's with the branch of the session down to `messageId`. */
  async fork(
    owner: string,
    sessionId: string,
    messageId: string,
    key?: KeyedRequest,
  ): Promise<SessionRecord | 'not_found' | 'message_not_found'> {
    const id = uuidv7()
    // The key names the fork: a retry answers with it.
    return this.#options.store.forkSession({
      ...(key && { key: { ...key, sessionId: id } }),
      owner,
      sourceId: sessionId,
      throughMessageId: messageId,
      id,
      now: this.#options.clock.now(),
      newId: uuidv7,
    })
  }

  /**
   * A page of every message of the session, oldest first (only `siblingsOf` and its siblings,
   * when given), after `cursor` (the `nextCursor` of the page before).
   */
  async tree(query: {
    owner: string
    sessionId: string
    limit: number
    cursor?: string
    siblingsOf?: string
  }): Promise<MessageTree | 'not_found' | 'message_not_found' | 'invalid_cursor'> {
    const { cursor, ...page } = query
    const after = cursor === undefined ? undefined : decodeMessageCursor(cursor)
    if (cursor !== undefined && after?.order !== 'asc') return 'invalid_cursor'
    const found = await this.#options.store.listTree({ ...page, after })
    if (found === undefined) return 'not_found'
    if (found === 'message_not_found') return found
    return {
      messages: found.messages,
      activeLeafId: found.activeLeafId ?? null,
      ...(found.next && { nextCursor: encodeMessageCursor(found.next) }),
    }
  }

  async get(owner: string, sessionId: string): Promise<SessionResult> {
    return (await this.#options.store.getSession(owner, sessionId)) ?? 'not_found'
  }

  /** `get`, as the session's JSON text (see `JsonReads`); `undefined`: the store has none. */
  async getJson(owner: string, sessionId: string): Promise<string | 'not_found' | undefined> {
    const { store } = this.#options
    if (!store.getSessionJson) return undefined
    return (await store.getSessionJson(owner, sessionId)) ?? 'not_found'
  }

  /** The session without its messages, or `undefined`. */
  header(owner: string, sessionId: string): Promise<SessionHeader | undefined> {
    return this.#options.store.getSessionHeader(owner, sessionId)
  }

  /**
   * A page of the owner's sessions with an agent, most recently updated first, after `cursor`
   * (the `nextCursor` of the page before).
   */
  async list(query: {
    owner: string
    agentId: string
    limit: number
    cursor?: string
    filter?: SessionFilter
    /** `false`: the sessions with their `activity` instead of their messages. */
    withMessages?: boolean
  }): Promise<SessionList | 'invalid_cursor' | 'agent_not_found'> {
    const after = this.#listAfter(query)
    if (typeof after === 'string') return after
    const page = await this.#options.store.listSessions({ ...query, after: after.cursor })
    return {
      sessions: page.sessions,
      ...(page.next && { nextCursor: encodeCursor(page.next) }),
    }
  }

  /**
   * `list` with messages, as the JSON array of the sessions (see `JsonReads`); `undefined` when
   * the store has no JSON reads.
   */
  async listJson(query: {
    owner: string
    agentId: string
    limit: number
    cursor?: string
    filter?: SessionFilter
  }): Promise<
    { json: string; nextCursor?: string } | 'invalid_cursor' | 'agent_not_found' | undefined
  > {
    const { store } = this.#options
    if (!store.listSessionsJson) return undefined
    const after = this.#listAfter(query)
    if (typeof after === 'string') return after
    const page = await store.listSessionsJson({ ...query, after: after.cursor })
    return { json: page.json, ...(page.next && { nextCursor: encodeCursor(page.next) }) }
  }

  /** Where a list starts, or why it is refused. */
  #listAfter(query: {
    agentId: string
    cursor?: string
  }): { cursor?: SessionCursor } | 'invalid_cursor' | 'agent_not_found' {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    if (query.cursor !== undefined && !cursor) return 'invalid_cursor'
    if (!this.#options.agents.get(query.agentId)) return 'agent_not_found'
    return { cursor }
  }

  /**
   * A page of the session's messages in `order`, after `cursor` (the `nextCursor` of the page
   * before, of the same order).
   */
  async messages(query: {
    owner: string
    sessionId: string
    order: MessageCursor['order']
    limit: number
    cursor?: string
  }): Promise<MessageList | 'not_found' | 'invalid_cursor'> {
    const { cursor, ...page } = query
    const after = cursor === undefined ? undefined : decodeMessageCursor(cursor)
    if (cursor !== undefined && after?.order !== query.order) return 'invalid_cursor'
    const found = await this.#options.store.listMessages({ ...page, after })
    if (!found) return 'not_found'
    return {
      messages: found.messages,
      ...(found.next && { nextCursor: encodeMessageCursor(found.next) }),
    }
  }

  /**
   * The owner's `limit` most recently updated sessions (of one agent, if given) by recency
   * bucket: calendar days in `timeZone`, so the same sessions group otherwise tomorrow.
   */
  async grouped(query: GroupedQuery): Promise<GroupedSessions | 'unknown_time_zone'> {
    const { store } = this.#options
    return this.#grouped(query, ({ filters, ...recent }) =>
      Promise.all(filters.map((filter) => store.recentSessions({ ...recent, filter }))),
    )
  }

  /**
   * `grouped`, each session as the JSON text of its summary, its agent as `agentJson` writes it
   * (see `JsonReads`); `undefined` when the store has no JSON reads.
   */
  async groupedJson(
    query: GroupedQuery & { agentJson: AgentJson },
  ): Promise<GroupedSessions<SummaryJson> | 'unknown_time_zone' | undefined> {
    const { store } = this.#options
    const { recentSessionsJson: one, recentSessionsJsonPages: pages } = store
    if (!one) return undefined
    const { agentJson, ...grouped } = query
    return this.#grouped(grouped, (recent) =>
      pages
        ? pages.call(store, { ...recent, agentJson })
        : Promise.all(
            recent.filters.map((filter) => one.call(store, { ...recent, filter, agentJson })),
          ),
    )
  }

  async #grouped<Summary extends { updatedAt: Date }>(
    query: GroupedQuery,
    /** The most recent sessions for each of `filters`, in their order. */
    recentSessions: (recent: {
      owner: string
      agentId?: string
      limit: number
      filters: SessionFilter[]
    }) => Promise<Summary[][]>,
  ): Promise<GroupedSessions<Summary> | 'unknown_time_zone'> {
    const { clock } = this.#options
    const { timeZone: zone, pinnedGroup = false, filter = sessionFilter({}), ...recent } = query
    if (!isKnownTimeZone(zone)) return 'unknown_time_zone'
    const now = clock.now()
    const day = { zone, day: dayIn(now, zone) }
    if (!pinnedGroup) {
      const [sessions = []] = await recentSessions({ ...recent, filters: [filter] })
      return { groups: groupByRecency(sessions, now, zone), day }
    }
    // Each part as the filter allows: pinned=false asks for no pinned group, pinned=true for
    // nothing but it. Both asked at once (one round trip where the store can).
    const parts = [true, false].filter(
      (pinned) => filter.pinned === undefined || filter.pinned === pinned,
    )
    const found = await recentSessions({
      ...recent,
      filters: parts.map((pinned) => ({ ...filter, pinned })),
    })
    const part = (pinned: boolean) => found[parts.indexOf(pinned)] ?? []
    return { pinned: part(true), groups: groupByRecency(part(false), now, zone), day }
  }

  /** A page of the owner's search hits for `q`: see `session-search.ts`. */
  search(query: {
    owner: string
    q: string
    agentId?: string
    filter?: SessionFilter
    limit: number
    cursor?: string
  }): Promise<SearchResult | SearchProblem> {
    return searchSessions(this.#options.store, query)
  }

  /**
   * The user's rating of an agent's reply (a comment left out removes the one before).
   *
   * @example
   * ```ts
   * await sessions.rate({ owner: 'alice', sessionId, messageId, rating: 'down', comment: 'Off topic' })
   * ```
   */
  rate(input: {
    owner: string
    sessionId: string
    messageId: string
    rating: Rating
    comment?: string
    key?: KeyedRequest
  }): Promise<FeedbackRecord | 'not_found' | 'not_assistant'> {
    const { key, ...rating } = input
    return this.#options.store.rateMessage({
      ...rating,
      now: this.#options.clock.now(),
      ...(key && { key: { ...key, sessionId: input.sessionId, messageId: input.messageId } }),
    })
  }

  /** Withdraws the user's rating of a message. */
  unrate(
    owner: string,
    sessionId: string,
    messageId: string,
    key?: KeyedRequest,
  ): Promise<'deleted' | 'not_found'> {
    return this.#options.store.deleteFeedback(owner, sessionId, messageId, key)
  }

  /**
   * A page of the ratings of an agent's replies changed from `from` (default: 30 days before
   * `to`) to `to` (default: now), newest first, after `cursor`; with the range's totals.
   */
  async feedback(query: {
    owner: string
    agentId: string
    from?: Date
    to?: Date
    rating?: Rating
    limit: number
    cursor?: string
  }): Promise<FeedbackList | 'invalid_cursor' | 'agent_not_found' | 'empty_range'> {
    const { cursor, ...rest } = query
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    if (cursor !== undefined && !after) return 'invalid_cursor'
    if (!this.#options.agents.get(query.agentId)) return 'agent_not_found'
    const to = query.to ?? this.#options.clock.now()
    const from = query.from ?? new Date(to.getTime() - FEEDBACK_RANGE_MS)
    if (from.getTime() >= to.getTime()) return 'empty_range'
    const page = await this.#options.store.listFeedback({ ...rest, from, to, after })
    return {
      from,
      to,
      entries: page.entries,
      totals: page.totals,
      ...(page.next && { nextCursor: encodeCursor(page.next) }),
    }
  }

  /** Imports NDJSON sessions for the owner: see `session-transfer.ts`. */
  import(
    owner: string,
    ndjson: string,
    maxFileBytes: number,
  ): Promise<ImportReport | 'too_many_sessions'> {
    return importSessions(this.#options.store, owner, ndjson, maxFileBytes)
  }

  /** Every session of the owner, with its messages, a few read at a time. */
  export(owner: string): AsyncGenerator<SessionRecord, void, undefined> {
    return exportSessions(this.#options.store, owner)
  }

  /** A file's bytes, for an export that carries them. */
  fileBytes(sessionId: string, fileId: string): Promise<Uint8Array | undefined> {
    return this.#options.store.readFileBytes(sessionId, fileId)
  }

  /** What the owner's agents' models used from `from` to `to`, by agent and by day in `timeZone`. */
  usage(query: {
    owner: string
    from?: Date
    to?: Date
    timeZone: string
  }): Promise<UsageReport | UsageReportProblem> {
    return usageReport(this.#options.store, { ...query, now: this.#options.clock.now() })
  }

  /** One of a session's files, with its bytes. */
  async file(
    owner: string,
    sessionId: string,
    fileId: string,
  ): Promise<{ file: StoredFile; data: Uint8Array<ArrayBuffer> } | 'not_found'> {
    return (await this.#options.store.getFile(owner, sessionId, fileId)) ?? 'not_found'
  }

  /**
   * Changes what a sidebar shows of a session: its name (white space around it dropped; the
   * agent's title never replaces a name given this way), pin, archive, tags (the new set) and
   * metadata (merged; a `null` removes its key).
   *
   * @example
   * ```ts
   * await sessions.update('alice', id, { pinned: true, metadata: { project: 'alpha' } })
   * ```
   */
  async update(
    owner: string,
    sessionId: string,
    changes: Omit<SessionPatch, 'maxMetadataPairs'>,
    key?: KeyedRequest,
  ): Promise<SessionResult | 'too_much_metadata'> {
    const patch: SessionPatch = {
      ...changes,
      ...(changes.name !== undefined && { name: changes.name.trim() }),
      maxMetadataPairs: MAX_METADATA_PAIRS,
    }
    const updated = await this.#options.store.updateSession(
      owner,
      sessionId,
      patch,
      key && { ...key, sessionId },
    )
    return updated ?? 'not_found'
  }

  /**
   * Cancels the session's run, if one is going on, and answers with the session once the run
   * has ended. Cancelling a session without a run changes nothing. `key`: the request's
   * `Idempotency-Key`, taken (with the run it stops) before the run is stopped: a retry stops
   * that run again if it is still going, never a later one.
   */
  async cancel(owner: string, sessionId: string, key?: KeyedRequest): Promise<SessionResult> {
    const { store, runs } = this.#options
    const header = await store.getSessionHeader(owner, sessionId)
    if (!header) return 'not_found'
    if (key)
      await store.idempotency.commit({
        ...key,
        sessionId,
        ...(header.run && { after: { runId: header.run.runId, action: 'cancel' as const } }),
      })
    await runs.cancel(sessionId, owner)
    return (await store.getSession(owner, sessionId)) ?? 'not_found'
  }

  /**
   * Deletes the session, its messages and files. A run in progress is cancelled first, so that
   * nothing writes to the session once it is gone. `key`: the request's `Idempotency-Key`,
   * taken with the delete.
   */
  async delete(
    owner: string,
    sessionId: string,
    key?: KeyedRequest,
  ): Promise<'deleted' | 'not_found'> {
    const { store, runs } = this.#options
    // Its queued turns go with it: none starts when the cancelled run ends.
    this.#held.add(sessionId)
    try {
      for (let attempt = 1; ; attempt++) {
        if (!(await store.getSessionHeader(owner, sessionId))) return 'not_found'
        await runs.cancel(sessionId, owner)
        // A new turn may start between the cancel and the delete; then cancel that run too. A
        // session still `Running` with no run here (its run is about to start) goes regardless.
        const outcome = await store.deleteSession(owner, sessionId, {
          force: attempt >= DELETE_ATTEMPTS,
          ...(key && { key }),
        })
        if (outcome !== 'busy') return outcome
        await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      this.#held.delete(sessionId)
    }
  }

  /**
   * Takes a turn out of the session's queue before it starts; `not_found` when the session has
   * no such queued turn (it never had, or the turn has started). `key`: the request's
   * `Idempotency-Key`, taken with it.
   */
  cancelQueued(
    owner: string,
    sessionId: string,
    turnId: string,
    key?: KeyedRequest,
  ): Promise<'deleted' | 'not_found'> {
    return this.#options.store.cancelQueuedTurn(owner, sessionId, turnId, key)
  }

  /**
   * Moves on the queues of sessions with queued turns and no run (their run ended while no
   * server ran them, e.g. a restart): at start-up, once runs cut off are flushed.
   *
   * @example
   * ```ts
   * await store.flushInterruptedRuns(now, 'The server stopped during the run')
   * await sessions.resumeQueues()
   * ```
   */
  async resumeQueues(): Promise<void> {
    for (const sessionId of await this.#options.store.idleQueues())
      await this.#nextQueued(sessionId)
  }

  /**
   * What a retry of a keyed request whose work is done answers, when the first answer was not
   * stored (its request died, or is still waiting for its run): what that request did after
   * its write is done again (wait for the run it started, stop the run it cancelled if that
   * run is still going), then the session as it is now. Never does the request's work again.
   */
  async resume(owner: string, outcome: KeyOutcome): Promise<ResumeResult> {
    const { store, runs, runWaitMs } = this.#options
    const { sessionId, messageId, after } = outcome
    if (sessionId === undefined) return 'nothing'
    if (messageId !== undefined) {
      const rating = await store.getFeedback(owner, sessionId, messageId)
      return rating ? { rating } : 'not_found'
    }
    if (after) {
      const header = await store.getSessionHeader(owner, sessionId)
      if (header?.run?.runId === after.runId) {
        if (after.action === 'cancel') await runs.cancel(sessionId, owner)
        else await runs.wait(sessionId, runWaitMs)
      }
    }
    return this.get(owner, sessionId)
  }

  /**
   * Stores the new session. A method of its own so that the record built for the store, which
   * holds the files, is garbage once it returns: `create` goes on to wait for the run.
   */
  async #open(
    input: { owner: string; text: string; files: Omit<NewFile, 'id'>[]; id?: string },
    agentId: string,
    keyed?: { key: KeyedRequest; turn: TurnOptions },
  ): Promise<SessionRecord | 'id_taken' | 'too_much_text'> {
    const { store, clock, runs, bounds } = this.#options
    // A first prompt alone may not be more than a session holds (a turn's check, for a turn
    // that has nothing before it).
    if (bounds && Buffer.byteLength(input.text, 'utf8') > bounds.maxTextBytes)
      return 'too_much_text'
    const now = clock.now()
    const id = input.id ?? uuidv7()
    const run = runs.claim(now)
    return store.createSession({
      id,
      owner: input.owner,
      agentId,
      name: titleFromPrompt(input.text),
      now,
      run,
      ...(keyed && { key: turnKey(keyed.key, id, run, keyed.turn) }),
      reserveEventIds: EVENT_ID_BLOCK,
      message: {
        id: uuidv7(),
        text: input.text,
        files: input.files.map((file) => ({ ...file, id: uuidv7() })),
      },
    })
  }

  /**
   * `attempt`'s outcome; when it finds the session busy and the turn interrupts, the run in
   * progress is cancelled (its end recorded, partial reply kept) and the turn tried once more.
   * Only a run that started before this turn was asked for (`askedAt`) is cancelled, and once: a run
   * started since is a racing turn's (another interrupt, on any instance) that won, and this
   * turn is refused, so that racing interrupts never cancel each other's runs in turn.
   */
  async #unlessBusy<T>(
    owner: string,
    sessionId: string,
    options: TurnOptions,
    attempt: () => Promise<T | 'busy'>,
    enqueue: () => Promise<T | Enqueued>,
  ): Promise<T | 'busy' | 'not_found' | QueuedResult | 'queue_full'> {
    const { store, clock, runs } = this.#options
    const asked = options.askedAt ?? clock.now().getTime()
    const outcome = await attempt()
    if (outcome !== 'busy' || options.onBusy === undefined || options.onBusy === 'reject')
      return outcome
    if (options.onBusy === 'enqueue') {
      // The run may end between the attempt and the queue: then the turn starts after all.
      for (let tries = 0; tries < 3; tries++) {
        const queued = await enqueue()
        if (queued !== 'not_busy') return queued
        const again = await attempt()
        if (again !== 'busy') return again
      }
      return 'busy'
    }
    const busy = await store.getSessionHeader(owner, sessionId)
    // A running session's `updatedAt` is when its run was claimed.
    if (busy?.run && busy.updatedAt.getTime() > asked) return 'busy'
    this.#held.add(sessionId)
    try {
      if (busy?.run) await runs.cancel(sessionId, owner, busy.run.runId)
      return await attempt()
    } finally {
      this.#held.delete(sessionId)
      // The interrupt's run goes first (if it started); otherwise the queue moves on now.
      this.#moveQueue(sessionId)
    }
  }

  /** Queues a turn behind the session's run (see `SessionStore.enqueueTurn`). */
  async #enqueue(
    owner: string,
    sessionId: string,
    turn: Omit<QueuedTurnRecord, 'id' | 'createdAt'>,
    key?: KeyedRequest,
  ): Promise<Enqueued> {
    const { store, clock } = this.#options
    const { maxQueuedTurns } = this
    const queued: QueuedTurnRecord = { ...turn, id: uuidv7(), createdAt: clock.now() }
    const outcome = await store.enqueueTurn({
      owner,
      sessionId,
      turn: queued,
      maxQueued: maxQueuedTurns,
      // A retry answers what this answers: the 202 of a turn that waits, not its run.
      ...(key && { key: { ...key, sessionId, status: 202, headers: {} } }),
    })
    if (outcome !== 'queued') return outcome
    const session = await store.getSession(owner, sessionId)
    return session ? { queued, session } : 'not_found'
  }

  /**
   * Starts the agent on a session just claimed, and the session's next queued turn after it:
   * when the run's end counted some on the session's row, or was not recorded here (flushed,
   * or the store failed), not after every run (a look into the queue was ~35 µs of each).
   */
  #launch(session: SessionRecord, agent: Agent, options: StartOptions = {}): void {
    void this.#options.runs.start(session, agent, true, options).then((end) => {
      if (end === undefined || end.queued) this.#moveQueue(session.id)
    })
  }

  /**
   * Starts the session's next queued turn, unless a run is in progress (its end does it), the
   * session is held, or the server is stopping (start-up resumes the queue). Never rejects:
   * a store that fails here is going away, and the queue stays stored.
   */
  #moveQueue(sessionId: string): void {
    if (this.#held.has(sessionId) || this.#options.runs.draining) return
    this.#nextQueued(sessionId).catch(() => {})
  }

  async #nextQueued(sessionId: string): Promise<void> {
    const { store, agents } = this.#options
    for (let step = 0; step < QUEUE_STEPS; step++) {
      const turn = await store.nextQueuedTurn(sessionId)
      if (!turn) return
      const header = await store.getSessionHeader(turn.owner, sessionId)
      if (!header || header.status === 'Running') return
      const agent = agents.get(header.agentId)
      const started = agent ? await this.#startQueued(sessionId, turn) : 'cannot_start'
      if (agent && typeof started === 'object') {
        this.#launch(started, agent, {
          queuedTurnId: turn.id,
          branched: turn.kind !== 'continue',
        })
        return
      }
      // Taken by another instance, or cancelled: the next one, if the session is still idle.
      if (started === 'busy') continue
      // Its message is gone or the session has no room for it: it never starts.
      await store.cancelQueuedTurn(turn.owner, sessionId, turn.id)
    }
  }

  /** Starts a queued turn as its request would have, taking it out of the queue. */
  async #startQueued(
    sessionId: string,
    turn: QueuedTurnRecord & { owner: string },
  ): Promise<SessionRecord | 'busy' | 'cannot_start'> {
    const { store, clock, runs, bounds } = this.#options
    const now = clock.now()
    const claim = {
      owner: turn.owner,
      sessionId,
      now,
      run: runs.claim(now),
      reserveEventIds: EVENT_ID_BLOCK,
      queuedTurnId: turn.id,
      ...(bounds && { bounds }),
    }
    const node =
      turn.messageId === null
        ? undefined
        : await store.getMessageNode(turn.owner, sessionId, turn.messageId)
    if (turn.kind !== 'continue' && !node) return 'cannot_start'
    const started =
      turn.kind === 'regenerate'
        ? node?.parentId
          ? await store.startRun({ ...claim, leafId: node.parentId })
          : 'cannot_start'
        : await store.startTurn({
            ...claim,
            message: { id: uuidv7(), text: turn.text ?? '' },
            ...(turn.kind === 'edit' && { parentId: node?.parentId ?? null }),
          })
    if (typeof started === 'object' || started === 'busy') return started
    return 'cannot_start'
  }

  /** The message a turn is about, of `role`, and the session's agent. */
  async #turnTarget(owner: string, sessionId: string, messageId: string, role: MessageRole) {
    const { store, agents } = this.#options
    const header = await store.getSessionHeader(owner, sessionId)
    if (!header) return 'not_found' as const
    // Said first, whatever the message: a session that is answering takes no other turn (the
    // store's conditional write is what guarantees it; this only words the answer).
    if (header.status === 'Running') return 'busy' as const
    const node = await store.getMessageNode(owner, sessionId, messageId)
    if (!node) return 'message_not_found' as const
    if (node.role !== role) return 'wrong_role' as const
    const agent = agents.get(header.agentId)
    if (!agent) return 'agent_not_found' as const
    return { node, agent }
  }

  /** The session once its run ended (or the wait ran out); never throws: the turn is stored. */
  async #settle(session: SessionRecord, options: TurnOptions): Promise<SessionRecord> {
    if (options.respondAsync) return session
    const { runs, store, runWaitMs } = this.#options
    const ended = await runs.wait(session.id, runWaitMs)
    try {
      if (!ended) return (await store.getSession(session.owner, session.id)) ?? session
      // While the session ran, nothing but the run could add to its messages: the answer is
      // the messages stored with the turn and the reply, with the header as the run left it.
      // Reading the whole session again would cost as much as the rest of a long one's turn.
      const header = await store.getSessionHeader(session.owner, session.id)
      if (!header) return session
      const messages = ended.reply ? [...session.messages, ended.reply] : session.messages
      return { ...header, messages }
    } catch {
      // The work is done: answer it as stored rather than fail (a retry reads it again).
      return session
    }
  }
}

/** The record a turn's key is taken with: a caller that waits for the run, its retry does too. */
function turnKey(
  key: KeyedRequest,
  sessionId: string,
  run: RunClaim,
  turn: TurnOptions,
): KeyCommit {
  return {
    ...key,
    sessionId,
    ...(!turn.respondAsync && { after: { runId: run.runId, action: 'wait' as const } }),
  }
}
