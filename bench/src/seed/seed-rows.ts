/**
 * The seeded rows, the same for every store: ids, names, statuses and times follow from each
 * session's index, so that SQLite and PostgreSQL answer the same bytes. The stores' seeds only
 * write them.
 */
import { seedMessageId, seedSessionId, TEN_MESSAGE_SESSION_ID, tenMessageId } from './seed-ids.ts'

/** Seeded sessions are 7 minutes apart, newest first: 100 of them span half a day, 1M 13 years. */
export const SEED_SPACING_MS = 7 * 60_000

export interface SeedRange {
  /** First session index to write (0 is the newest). */
  from: number
  /** One past the last index to write. */
  to: number
  /** `updated_at` of session 0, in ms since the epoch; older sessions count back from it. */
  newest: number
  /** Also write the ten-message session (once, with the first range). */
  withTenMessageSession: boolean
  /**
   * Spread the sessions over this many owners ({@link benchOwner}: session `index` is owner
   * `index % owners`'s); unset: every session is the anonymous owner's, as in open mode.
   */
  owners?: number
}

/**
 * A `sessions` row, keyed by column. The columns left out (the run's: run_id, lease…; and
 * event_seq) keep their defaults, as for a session with no run going on.
 */
export interface SessionRow {
  id: string
  owner: string
  agent_id: string
  name: string
  status: 'Ready' | 'Flushed'
  error_code: string | null
  error_message: string | null
  created_at: number
  updated_at: number
  /** 0 or 1: one session in ten is pinned, one in ten archived (left out of the lists). */
  pinned: number
  archived: number
  /** The last message of the branch the session shows: its newest, messages being one chain. */
  active_leaf_id: string
}

/** A `messages` row, keyed by column. */
export interface MessageRow {
  id: string
  session_id: string
  position: number
  /** The message before, in one chain; null for the first. */
  parent_id: string | null
  role: 'user' | 'assistant'
  text: string
  created_at: number
}

/** The columns of {@link SessionRow}, in the order the inserts list them. */
export const SESSION_COLUMNS = [
  'id',
  'owner',
  'agent_id',
  'name',
  'status',
  'error_code',
  'error_message',
  'created_at',
  'updated_at',
  'pinned',
  'archived',
  'active_leaf_id',
] as const satisfies readonly (keyof SessionRow)[]

/** The columns of {@link MessageRow}, in the order the inserts list them. */
export const MESSAGE_COLUMNS = [
  'id',
  'session_id',
  'position',
  'parent_id',
  'role',
  'text',
  'created_at',
] as const satisfies readonly (keyof MessageRow)[]

/** A session and its messages, in position order: sessions first, as messages reference them. */
export interface SeededSession {
  session: SessionRow
  messages: MessageRow[]
}

/** The anonymous owner: every request of a server without API keys is its. */
const OWNER = 'anonymous'

/**
 * Owner `index` of a many-owner seed, whose API key is {@link benchOwnerKey}.
 *
 * @example
 * ```ts
 * benchOwner(7) // 'bench-owner-7'
 * ```
 */
export function benchOwner(index: number): string {
  return `bench-owner-${index}`
}

/**
 * The API key of {@link benchOwner} `index`: fixed, so the load process and the keys file agree
 * without passing secrets around (they are worthless outside a bench run).
 *
 * @example
 * ```ts
 * benchOwnerKey(7) // 'uxm_bench_owner_key_7'
 * ```
 */
export function benchOwnerKey(index: number): string {
  return `uxm_bench_owner_key_${index}`
}

/**
 * Seeded session `index`, of the echo agent. Even indexes are `Ready` with a prompt and its
 * reply; odd ones `Flushed` (interrupted) with the prompt alone: 1–2 messages, like most real
 * sessions.
 */
function seededSession(index: number, newest: number, owners?: number): SeededSession {
  const updatedAt = newest - index * SEED_SPACING_MS
  const createdAt = updatedAt - 2_000
  const id = seedSessionId(index)
  const prompt = `Plan a user interview about onboarding #${index}: who to invite, what to ask, how long.`
  const answered = index % 2 === 0
  const messages: MessageRow[] = [
    {
      id: seedMessageId(index, 0),
      session_id: id,
      position: 0,
      parent_id: null,
      role: 'user',
      text: prompt,
      created_at: createdAt,
    },
  ]
  if (answered) {
    messages.push({
      id: seedMessageId(index, 1),
      session_id: id,
      position: 1,
      parent_id: seedMessageId(index, 0),
      role: 'assistant',
      text: `You said: ${prompt}`,
      created_at: updatedAt,
    })
  }
  return {
    session: {
      id,
      owner: owners ? benchOwner(index % owners) : OWNER,
      agent_id: 'echo',
      name: `Plan a user interview about onboarding #${index}`,
      status: answered ? 'Ready' : 'Flushed',
      error_code: answered ? null : 'interrupted',
      error_message: answered ? null : 'The server stopped during the run',
      created_at: createdAt,
      updated_at: updatedAt,
      pinned: index % 10 === 3 ? 1 : 0,
      archived: index % 10 === 7 ? 1 : 0,
      active_leaf_id: seedMessageId(index, answered ? 1 : 0),
    },
    messages,
  }
}

/** The conversation `GET /sessions/{id}` reads: ten turns, last updated 90 days ago. */
function tenMessageSession(newest: number): SeededSession {
  const updatedAt = newest - 90 * 86_400_000
  const createdAt = updatedAt - 9 * 60_000
  const messages: MessageRow[] = []
  for (let position = 0; position < 10; position++) {
    const user = position % 2 === 0
    messages.push({
      id: tenMessageId(position),
      session_id: TEN_MESSAGE_SESSION_ID,
      position,
      parent_id: position === 0 ? null : tenMessageId(position - 1),
      role: user ? 'user' : 'assistant',
      text: user
        ? `Compare three onboarding flows for the mobile app, round ${position / 2 + 1}: which one gets people to their first session fastest?`
        : `You said: compare three onboarding flows, round ${(position + 1) / 2}. The second flow asks for the least before the first session.`,
      created_at: createdAt + position * 60_000,
    })
  }
  return {
    session: {
      id: TEN_MESSAGE_SESSION_ID,
      owner: OWNER,
      agent_id: 'echo',
      name: 'Compare three onboarding flows for the mobile app',
      status: 'Ready',
      error_code: null,
      error_message: null,
      created_at: createdAt,
      updated_at: updatedAt,
      pinned: 0,
      archived: 0,
      active_leaf_id: tenMessageId(9),
    },
    messages,
  }
}

/**
 * The sessions `from`…`to - 1` of `range` with their messages, then the ten-message session if
 * asked for. Each range is older than the one before, so the newest sessions, those that list
 * and grouped read, are the same at every scale and only the size of the tables changes.
 *
 * @example
 * ```ts
 * for (const { session, messages } of seededSessions({ from: 0, to: 100, newest: Date.now(), withTenMessageSession: true })) { … }
 * ```
 */
export function* seededSessions(range: SeedRange): Generator<SeededSession> {
  for (let index = range.from; index < range.to; index++)
    yield seededSession(index, range.newest, range.owners)
  if (range.withTenMessageSession) yield tenMessageSession(range.newest)
}
