/**
 * Imported sessions into the store, whole or not at all: the session's row, its labels (tags and
 * metadata, for the list filters), its messages in order and their files. The search index
 * follows by itself (triggers on SQLite, generated columns on PostgreSQL).
 */
import type { Kysely } from 'kysely'
import { rankedWordCount } from '../../domain/search-rank.ts'
import type { ImportedSession } from '../../domain/session-import.ts'
import { insertFile } from './file-rows.ts'
import type { Database } from './schema.ts'
import type { WriteTransaction } from './write-transaction.ts'

/** Ids looked up in one IN list at most (PostgreSQL and SQLite take far more; kept modest). */
const ID_BATCH = 500

async function anyTaken(
  trx: Kysely<Database>,
  table: 'messages' | 'files',
  ids: string[],
): Promise<boolean> {
  for (let start = 0; start < ids.length; start += ID_BATCH) {
    const batch = ids.slice(start, start + ID_BATCH)
    const found = await trx
      .selectFrom(table)
      .select('id')
      .where('id', 'in', batch)
      .limit(1)
      .executeTakeFirst()
    if (found) return true
  }
  return false
}

/**
 * The store's `importSession` over its write transaction.
 *
 * @example
 * ```ts
 * const importSession = createImport(write)
 * await importSession('alice', session) // 'imported', then 'exists' the second time
 * ```
 */
export function createImport(
  write: WriteTransaction,
): (owner: string, session: ImportedSession) => Promise<'imported' | 'exists' | 'conflict'> {
  return (owner, session) =>
    write(async (trx) => {
      const existing = await trx
        .selectFrom('sessions')
        .select('owner')
        .where('id', '=', session.id)
        .executeTakeFirst()
      // Another owner's session of that id is not touched, nor said to be whose.
      if (existing) return existing.owner === owner ? 'exists' : 'conflict'
      const messageIds = session.messages.map((message) => message.id)
      const fileIds = session.messages.flatMap((message) => message.files.map((file) => file.id))
      if ((await anyTaken(trx, 'messages', messageIds)) || (await anyTaken(trx, 'files', fileIds)))
        return 'conflict'
      const { numInsertedOrUpdatedRows } = await trx
        .insertInto('sessions')
        .values({
          id: session.id,
          owner,
          agent_id: session.agentId,
          name: session.name,
          routine_id: session.routineId,
          status: 'Ready',
          created_at: session.createdAt.getTime(),
          updated_at: session.updatedAt.getTime(),
          pinned: session.pinned ? 1 : 0,
          archived: session.archived ? 1 : 0,
          tags: JSON.stringify(session.tags),
          metadata: JSON.stringify(session.metadata),
          // An export holds the active branch: imported, it is one chain, its last message the leaf.
          active_leaf_id: session.messages.at(-1)?.id ?? null,
        })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .executeTakeFirst()
      // Taken in the meantime by a concurrent import (PostgreSQL): as if it had been there.
      if (numInsertedOrUpdatedRows === 0n) return 'conflict'
      const labels = [
        ...session.tags.map((tag) => ({ kind: 'tag' as const, key: tag, value: '' })),
        ...Object.entries(session.metadata).map(([key, value]) => ({
          kind: 'meta' as const,
          key,
          value,
        })),
      ]
      if (labels.length > 0)
        await trx
          .insertInto('session_labels')
          .values(labels.map((label) => ({ session_id: session.id, ...label })))
          .execute()
      for (const [position, message] of session.messages.entries()) {
        await trx
          .insertInto('messages')
          .values({
            id: message.id,
            session_id: session.id,
            position,
            parent_id: session.messages[position - 1]?.id ?? null,
            role: message.role,
            text: message.text,
            ranked_words: rankedWordCount(message.text),
            created_at: message.createdAt.getTime(),
          })
          .execute()
        for (const [index, file] of message.files.entries())
          await insertFile(
            trx,
            {
              id: file.id,
              session_id: session.id,
              message_id: message.id,
              position: index,
              name: file.name,
              content_type: file.contentType,
              size: file.size,
              sha256: file.sha256,
            },
            [file.data],
          )
      }
      return 'imported'
    })
}
