/**
 * The statements of a create and of a run's end, each compiled once per store (see
 * `fixedQuery`): the write path every turn takes.
 */
import { type Kysely, sql } from 'kysely'
import type { MessageRecord, RunOutcome } from '../../domain/session-store.ts'
import { fixedQuery } from './fixed-query.ts'
import type { Database } from './schema.ts'

/**
 * The message `id` as the session's active leaf; the session is branched once a message has a
 * sibling (one index lookup). `parentId` null is another shape (`IS NULL`), not a value.
 */
const asLeaf = (db: Kysely<Database>, sessionId: string, id: string, parentId: string | null) =>
  db
    .updateTable('sessions')
    .set((eb) => ({
      active_leaf_id: id,
      branched: eb
        .case()
        .when(
          eb.exists(
            eb
              .selectFrom('messages')
              .select('messages.id')
              .where('messages.session_id', '=', sessionId)
              .where('messages.parent_id', parentId === null ? 'is' : '=', parentId)
              .where('messages.id', '!=', id),
          ),
        )
        .then(1)
        .else(eb.ref('sessions.branched'))
        .end(),
    }))
    .where('id', '=', sessionId)

/**
 * The store's fixed write statements. Made per store: a compiled statement is of one dialect.
 *
 * @example
 * ```ts
 * const statements = writeStatements()
 * await statements.insertFirstMessage(trx, id, sessionId, text, rankedWords, now)
 * ```
 */
export function writeStatements() {
  return {
    /** A new session, Running its first run; nothing when the id is taken. */
    insertSession: fixedQuery(
      (
        db,
        id: string,
        owner: string,
        agentId: string,
        name: string,
        now: number,
        eventSeq: number,
        leafId: string,
        runId: string,
        instance: string,
        leaseExpiresAt: number,
      ) =>
        db
          .insertInto('sessions')
          .values({
            id,
            owner,
            agent_id: agentId,
            name,
            status: 'Running',
            created_at: now,
            updated_at: now,
            event_seq: eventSeq,
            active_leaf_id: leafId,
            run_id: runId,
            run_instance: instance,
            run_lease_expires_at: leaseExpiresAt,
          })
          .onConflict((conflict) => conflict.column('id').doNothing()),
    ),

    /** A session's first message, the user's: no need to look for the last one's position. */
    insertFirstMessage: fixedQuery(
      (db, id: string, sessionId: string, text: string, rankedWords: number, now: number) =>
        db.insertInto('messages').values({
          id,
          session_id: sessionId,
          position: 0,
          role: 'user',
          text,
          ranked_words: rankedWords,
          created_at: now,
        }),
    ),

    /**
     * A message after the session's last one in the order of writing: its position one past the
     * greatest, as the session's row keeps it (`last_message_position`, session-activity.ts;
     * messages leave only with their session). Not `MAX(position)` of the messages: on SQLite,
     * an insert into `messages` that reads `messages` by a bound session id is prepared anew at
     * every run (~100 µs of a reply's insert, docs/performance.md, "Writes, round of 4
     * December").
     */
    insertNextMessage: fixedQuery(
      (
        db,
        id: string,
        sessionId: string,
        parentId: string | null,
        role: MessageRecord['role'],
        text: string,
        rankedWords: number,
        now: number,
      ) =>
        db.insertInto('messages').values({
          id,
          session_id: sessionId,
          position: sql<number>`(SELECT COALESCE(last_message_position, -1) + 1 FROM sessions WHERE id = ${sessionId})`,
          parent_id: parentId,
          role,
          text,
          ranked_words: rankedWords,
          created_at: now,
        }),
    ),

    /** The new message `id` as the session's active leaf, of a message under `parentId`. */
    makeLeaf: fixedQuery((db, sessionId: string, id: string, parentId: string) =>
      asLeaf(db, sessionId, id, parentId),
    ),

    /** As `makeLeaf`, of a message without a parent (a second root is a sibling too). */
    makeRootLeaf: fixedQuery((db, sessionId: string, id: string) =>
      asLeaf(db, sessionId, id, null),
    ),

    /** The end of the run `runId`, only while the session is still Running it; the row after. */
    endRun: fixedQuery(
      (
        db,
        sessionId: string,
        runId: string,
        status: RunOutcome['status'],
        errorCode: string | null,
        errorMessage: string | null,
        now: number,
        lastEventId: number,
      ) =>
        db
          .updateTable('sessions')
          .set({
            status,
            error_code: errorCode,
            error_message: errorMessage,
            updated_at: now,
            event_seq: lastEventId,
            run_instance: null,
            run_lease_expires_at: null,
          })
          .where('id', '=', sessionId)
          .where('run_id', '=', runId)
          .where('status', '=', 'Running')
          .returningAll(),
    ),
  }
}
