/**
 * Search over an owner's session names and message texts: FTS5 on SQLite (the `0025_search`
 * migration), tsvector on PostgreSQL (`search_entries`, `storage/postgres/pg-search-entries.ts`). Each engine finds
 * the most recent matches (at most `RANKED_WINDOW`); the server ranks them
 * (`domain/search-rank.ts`), so both answer the same hits in the same order.
 */
import { type Kysely, sql } from 'kysely'
import { RANKED_CHARACTERS, rankByRelevance } from '../../domain/search-rank.ts'
import { RANKED_WINDOW } from '../../domain/session-search.ts'
import type {
  SearchHitPage,
  SessionStore,
  SessionSummaryRecord,
} from '../../domain/session-store.ts'
import { SEARCH_OWNER_RANGE } from './migrations.ts'
import type { Database, Dialect } from './schema.ts'
import { requiredWords, toBodyFtsMatch, toTsQuery } from './search-match.ts'
import { filtered, UNARCHIVED } from './session-lists.ts'

type SearchInput = Parameters<SessionStore['searchSessions']>[0]

/**
 * A match as the engines give it: the session, the message (or none: the name), the first
 * characters of the text and the message's count of their words (`messages.ranked_words`; none
 * for a name), for ranking.
 */
interface CandidateRow {
  session_id: string
  message_id: string | null
  text: string
  words: number | null
}

/**
 * Whether the session of the hit (`outer`, a column of the outer query) is one the search
 * looks in: the owner's, of the agent if given, that the list filter lets through.
 */
function searchedSession(db: Kysely<Database>, input: SearchInput, outer: string, perRow = false) {
  const sessions = db
    .selectFrom('sessions')
    .select('sessions.id')
    .where('sessions.id', '=', sql.ref<string>(outer))
    .where('sessions.owner', '=', input.owner)
    .$if(input.agentId !== undefined, (query) =>
      query.where('sessions.agent_id', '=', input.agentId as string),
    )
  const narrowed = filtered(sessions, input.filter ?? UNARCHIVED)
  // Kysely puts a subquery between parentheses itself. `OFFSET 0` keeps PostgreSQL from making
  // the EXISTS a join: a hash join reads every session of the owner (100,000 at 1M messages,
  // ~100 ms) to check a few hundred matches, which one probe each checks in ~5 µs.
  return sql`EXISTS ${perRow ? narrowed.offset(0) : narrowed}`
}

/**
 * SQLite: the owner's matching rows of the index, newest first (the newest row has the lowest
 * key), through the filters, at most {@link RANKED_WINDOW} of them, then each one's message: the
 * start of its text and its count of words (a name's row: the name). The owner's rows are its
 * range of keys (`search_owners`' slot: migration 0037), which FTS5 takes as bounds of the rowid:
 * it seeks each term's list to the range's start and stops at its end. Not the owner's word of
 * the `owner` column ANDed with the query: FTS5 then walked the owner's list (every row of the
 * owner's) along with the words', one skip ahead in it for each match, ~4 µs each (a word in 342
 * rows of a store of 1M messages: 1.3 ms against 0.17 ms by the range). The messages are joined
 * to the window, not inside it: there SQLite read a message for every row before the filters had
 * it (a tag that lets one session in five through cost ~15% more).
 */
function sqliteCandidates(db: Kysely<Database>, input: SearchInput) {
  const slot = sql`(SELECT slot FROM search_owners WHERE owner = ${input.owner})`
  const range = sql.lit(SEARCH_OWNER_RANGE)
  return sql<CandidateRow>`
    SELECT found.session_id, found.message_id,
      CASE WHEN found.message_id IS NULL
        THEN (SELECT name FROM sessions WHERE sessions.id = found.session_id)
        ELSE substr(messages.text, 1, ${RANKED_CHARACTERS})
      END AS text,
      messages.ranked_words AS words
    FROM (
      SELECT search_docs.session_id, search_docs.message_id, search_fts.rowid AS doc
      FROM search_fts
      JOIN search_docs ON search_docs.doc = search_fts.rowid
      WHERE search_fts MATCH ${toBodyFtsMatch(input.query)}
        AND search_fts.rowid >= ${slot} * ${range}
        AND search_fts.rowid < (${slot} + 1) * ${range}
        AND search_docs.owner = ${input.owner}
        AND ${searchedSession(db, input, 'search_docs.session_id')}
      ORDER BY search_fts.rowid
      LIMIT ${RANKED_WINDOW}
    ) AS found
    LEFT JOIN messages ON messages.id = found.message_id
    ORDER BY found.doc`.execute(db)
}

/**
 * Entries of an owner PostgreSQL's search walks in its first statement, newest first: a window
 * of a word in one entry in five or more is full within it, and how many it found tells the
 * rare words from the others. Not more: it reads each entry's row (~1 µs), the walk on from it
 * the index (~0.4 µs): at 1M messages 2,500 rather than 5,000 cut PostgreSQL's CPU for two
 * common words, the phrase and the tag filter by ~1-1.7 ms and for a rare word by ~2.6, and
 * cost a common word ~0.5 (docs/performance.md, "PostgreSQL search: the walks at 1M").
 */
export const WALKED_ENTRIES = 5 * RANKED_WINDOW

/**
 * Fewer matches than this in the owner's newest {@link WALKED_ENTRIES} (0.5%): the words are
 * rare, and GIN reads their matches faster than walks find them (at 1M messages a walk costs
 * ~1 µs an entry, a match read from GIN ~25 µs: its row, then its session's).
 */
const RARE_IN_WALK = 13

/** The last entry a walk read: the next one starts after it. */
interface Boundary {
  at: string
  message_id: string | null
}

interface WalkedRow extends CandidateRow {
  at: string
  hit: boolean
  nth: string
}

/** The entries after `boundary` in the window's order. */
const after = (boundary: Boundary) =>
  sql`entry.at <= ${boundary.at} AND (entry.at < ${boundary.at}
    OR (${boundary.message_id}::text IS NOT NULL
      AND (entry.message_id < ${boundary.message_id} OR entry.message_id IS NULL)))`

/**
 * The entries `found` (newest first, at most a window's) with the start of each one's text, for
 * ranking: the session's name or the message's text, and the message's count of the words
 * ranking reads (none for a name's entry). The message is joined to the statement's entries
 * after their limit, once for both columns: in the select list of the walk, each was a probe of
 * the message's key of its own (~3-4 buffers each, 500 entries a full window). Lateral, with
 * `OFFSET 0`, so that it stays a probe a row: as a plain join the planner hashed every message
 * of a store of 10k (its estimate of the walk's rows is the limit's). Not one probe of
 * both as an array: `pg` parses an array's text a character at a time in our process
 * (measured: our CPU a search at 1M messages ~1.5-2× with 500 texts so). A text of no more
 * bytes than the characters wanted is whole: `left` would count its characters (~3 µs for one
 * of ~270, measured at 100k messages under load).
 */
const withTexts = (found: ReturnType<typeof sql>) => sql`
  SELECT found.*, CASE WHEN found.message_id IS NULL
      THEN (SELECT name FROM sessions WHERE sessions.id = found.session_id)
      WHEN octet_length(message.text) <= ${RANKED_CHARACTERS} THEN message.text
      ELSE left(message.text, ${RANKED_CHARACTERS}) END AS text,
    message.ranked_words AS words
  FROM (${found}) AS found
  LEFT JOIN LATERAL (SELECT text, ranked_words FROM messages WHERE messages.id = found.message_id
    OFFSET 0) AS message ON TRUE
  ORDER BY found.at DESC, found.message_id DESC NULLS LAST`

/**
 * The filters an entry's own row answers (migration 0057: its session's archived and tags,
 * kept in step by the triggers), for the entry `alias`.
 */
function entryFilter(input: SearchInput, alias: string) {
  const filter = input.filter ?? UNARCHIVED
  const archived = sql`${sql.ref(`${alias}.archived`)} = ${filter.archived ? 1 : 0}`
  return filter.tags.length === 0
    ? archived
    : sql`${archived} AND ${sql.ref(`${alias}.tags`)} @> ${filter.tags}::text[]`
}

/**
 * The probe of the entry's session for what its row does not answer: the agent, the pin and
 * the metadata pairs (none given: `TRUE`, no probe).
 */
function sessionProbe(db: Kysely<Database>, input: SearchInput) {
  const filter = input.filter ?? UNARCHIVED
  const answeredByEntry =
    input.agentId === undefined && filter.pinned === undefined && filter.metadata.length === 0
  return answeredByEntry ? sql`TRUE` : searchedSession(db, input, 'entry.session_id', true)
}

/**
 * How a walk tells the entries that match: `maybe` of an entry as the btree gives it, then
 * `vector`. Where `signed` and the query has words every match has whole, `maybe` is the
 * entry's filters and its signature of words (`search_entry_signature`, migration 0051) having
 * the words' bits, all in the index beside the key (0057), so the walk reads no row; and
 * `vector` the check of the vector, read by the entry's key (~4 buffers, where the row in the
 * walk was ~1: so only for the walk after the first, whose words are in fewer than one entry
 * in ten, and fewer entries are read twice than are not read at all); otherwise `maybe` is the
 * check of each entry's row as the walk reads it. The filters before the vector: a tag that
 * one session in five has leaves four vectors in five unread.
 */
function matching(input: SearchInput, signed: boolean) {
  const tsquery = sql`to_tsquery('simple', ${toTsQuery(input.query)})`
  const words = requiredWords(input.query)
  if (!signed || words === '')
    return {
      maybe: sql`${entryFilter(input, 'entry')} AND entry.vector @@ ${tsquery}`,
      vector: sql`TRUE`,
    }
  const bits = sql`(SELECT search_entry_signature(search_entry_vector(${words})))`
  const vectorOf = (key: ReturnType<typeof sql>) =>
    sql`(SELECT matched.vector @@ ${tsquery} FROM search_entries AS matched WHERE ${key})`
  return {
    maybe: sql`${entryFilter(input, 'entry')} AND entry.signature & ${bits} = ${bits}`,
    vector: sql`CASE WHEN entry.message_id IS NULL
      THEN ${vectorOf(sql`matched.session_id = entry.session_id AND matched.message_id IS NULL`)}
      ELSE ${vectorOf(sql`matched.message_id = entry.message_id`)} END`,
  }
}

/**
 * The first walk: the owner's {@link WALKED_ENTRIES} newest entries (the btree on owner and
 * time), each checked against the query by its row ({@link matching}) and, if it matches, the
 * filters; the first {@link RANKED_WINDOW} that pass (`hit`), and the last entry read (`nth` =
 * {@link WALKED_ENTRIES}) if the walk got that far, where the walk after it starts (a hit too
 * if it passes). The window function numbers the entries without their vectors.
 */
function firstWalk(db: Kysely<Database>, input: SearchInput) {
  const { maybe, vector } = matching(input, false)
  // In this order: PostgreSQL evaluates the arguments of one AND from the left.
  const hit = sql`entry.maybe AND ${vector} AND ${sessionProbe(db, input)}`
  const found = sql`
    SELECT entry.session_id, entry.message_id, entry.at, entry.nth,
      CASE WHEN entry.nth = ${WALKED_ENTRIES} THEN ${hit} ELSE TRUE END AS hit
    FROM (
      SELECT entry.session_id, entry.message_id, entry.at, ${maybe} AS maybe,
        row_number() OVER (ORDER BY entry.at DESC, entry.message_id DESC NULLS LAST) AS nth
      FROM search_entries AS entry
      WHERE entry.owner = ${input.owner}
      ORDER BY entry.at DESC, entry.message_id DESC NULLS LAST
      LIMIT ${WALKED_ENTRIES}
    ) AS entry
    WHERE (${hit}) OR entry.nth = ${WALKED_ENTRIES}
    ORDER BY entry.at DESC, entry.message_id DESC NULLS LAST
    LIMIT ${RANKED_WINDOW + 1}`
  return withTexts(found).$castTo<WalkedRow>().execute(db)
}

/**
 * The walk after the first: the owner's entries after `boundary`, newest first, by the index
 * alone where the signature serves ({@link matching}), until `wanted` pass or the entries end.
 * Not bounded: the first walk found the words in one entry in 200 or more, and walks of a
 * bounded count (5,000, then 10,000, 20,000, …) numbered their entries by a window function,
 * which cost as much again as reading them from the index (at 1M messages 3.6 against 3.1 ms
 * for 10,000; docs/performance.md, "PostgreSQL search: the walks at 1M"). A `CASE`, not an
 * AND of the conditions: PostgreSQL orders a WHERE's conditions by its estimates of their
 * costs, and the signature must come before the vector's probe.
 */
function walkOn(db: Kysely<Database>, input: SearchInput, boundary: Boundary, wanted: number) {
  const { maybe, vector } = matching(input, true)
  const found = sql`
    SELECT entry.session_id, entry.message_id, entry.at
    FROM search_entries AS entry
    WHERE entry.owner = ${input.owner} AND ${after(boundary)}
      AND CASE WHEN ${maybe} THEN ${vector} AND ${sessionProbe(db, input)} ELSE FALSE END
    ORDER BY entry.at DESC, entry.message_id DESC NULLS LAST
    LIMIT ${wanted}`
  return withTexts(found).$castTo<CandidateRow>().execute(db)
}

/**
 * The owner's matches after `boundary` as the planner reads them, the `wanted` most recent:
 * for rare words, from GIN (the few matches, then sorted).
 */
function planned(db: Kysely<Database>, input: SearchInput, boundary: Boundary, wanted: number) {
  const found = sql`
    SELECT entry.session_id, entry.message_id, entry.at
    FROM search_entries AS entry
    WHERE entry.owner = ${input.owner} AND ${after(boundary)}
      AND entry.vector @@ to_tsquery('simple', ${toTsQuery(input.query)})
      AND ${entryFilter(input, 'entry')} AND ${sessionProbe(db, input)}
    ORDER BY entry.at DESC, entry.message_id DESC NULLS LAST
    LIMIT ${wanted}`
  return withTexts(found).$castTo<CandidateRow>().execute(db)
}

/**
 * PostgreSQL: the owner's entries of `search_entries` (messages and names) that match and that
 * the filters let through, the {@link RANKED_WINDOW} most recent, each with the start of its
 * text. A walk of the owner's newest entries, then, if the window is not full and the entries
 * do not end, the rest: from GIN where the first walk finds the words rare, else by a walk on
 * from where the first stopped. Not the planner alone: it takes words that often go together
 * (`design review`) or a filter that leaves one session in five for rare, and reads every
 * match from GIN and its row (~33,000 at 1M messages, ~1 s) where the walks stop after 17,000
 * entries (docs/performance.md, search).
 */
async function postgresCandidates(db: Kysely<Database>, input: SearchInput) {
  const { rows } = await firstWalk(db, input)
  const found: CandidateRow[] = rows.filter((row) => row.hit).slice(0, RANKED_WINDOW)
  const last = rows.find((row) => Number(row.nth) === WALKED_ENTRIES)
  if (found.length === RANKED_WINDOW || !last) return { rows: found }
  const boundary = { at: last.at, message_id: last.message_id }
  const wanted = RANKED_WINDOW - found.length
  const rest =
    found.length < RARE_IN_WALK
      ? await planned(db, input, boundary, wanted)
      : await walkOn(db, input, boundary, wanted)
  return { rows: [...found, ...rest.rows] }
}

/**
 * The store's `searchSessions` on either dialect: the window's matches from the index, ranked
 * by the server, the page cut from them, then its sessions and messages by id.
 *
 * @example
 * ```ts
 * const search = createSearch(db, 'sqlite', readSummaries)
 * await search({ owner: 'alice', query: parsed, limit: 20, offset: 0 })
 * ```
 */
export function createSearch(
  db: Kysely<Database>,
  dialect: Dialect,
  summaries: (ids: string[]) => Promise<SessionSummaryRecord[]>,
): (input: SearchInput) => Promise<SearchHitPage> {
  return async (input) => {
    const candidates = dialect === 'sqlite' ? sqliteCandidates : postgresCandidates
    const { rows } = await candidates(db, input)
    const ranked = rankByRelevance(rows, input.query)
    const page = ranked.slice(input.offset, input.offset + input.limit)
    if (page.length === 0) return { hits: [], more: false }
    const sessionIds = [...new Set(page.map((row) => row.session_id))]
    const messageIds = page.flatMap((row) => (row.message_id === null ? [] : [row.message_id]))
    const [sessions, messages] = await Promise.all([
      summaries(sessionIds),
      messageIds.length === 0
        ? []
        : db
            .selectFrom('messages')
            .select(['id', 'role', 'text', 'created_at'])
            .where('id', 'in', messageIds)
            .execute(),
    ])
    const sessionById = new Map(sessions.map((row) => [row.id, row]))
    const messageById = new Map(messages.map((row) => [row.id, row]))
    const found = page.flatMap((row) => {
      const session = sessionById.get(row.session_id)
      const message = row.message_id === null ? undefined : messageById.get(row.message_id)
      // Deleted between the two reads: left out.
      if (!session || (row.message_id !== null && !message)) return []
      return message
        ? [
            {
              session,
              message: {
                id: message.id,
                role: message.role,
                createdAt: new Date(Number(message.created_at)),
              },
              text: message.text,
            },
          ]
        : [{ session, text: session.name }]
    })
    return { hits: found, more: ranked.length > input.offset + input.limit }
  }
}
