/**
 * `messages.ranked_words`: each message's count of the words that ranking reads
 * (`rankedWordCount`), kept when the message is written, so that a search ranks its window
 * without splitting every text into words again (that was ~70% of ranking's CPU).
 */
import { type Kysely, sql } from 'kysely'
import { RANKED_CHARACTERS, rankedWordCount } from '../../domain/search-rank.ts'
import type { Dialect } from './schema.ts'

/** Messages counted a statement in the migration's fill. */
const FILL_BATCH = 2_000

/**
 * Adds the column and counts the words of every message there (migration 0036), in batches by
 * id: the count is the server's own (JavaScript's lowercasing and Unicode classes), which
 * neither engine's SQL reproduces exactly.
 *
 * @example
 * ```ts
 * await addRankedWords(db, 'sqlite')
 * ```
 */
export async function addRankedWords(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await sql`ALTER TABLE messages ADD COLUMN ranked_words integer`.execute(db)
  // The store never changes a text, but the search index follows a text changed around it (its
  // triggers): so does ranking, which counts a text's words itself while its count is null.
  if (dialect === 'postgres') {
    await sql`CREATE FUNCTION messages_forget_ranked_words() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.ranked_words := NULL;
        RETURN NEW;
      END $$`.execute(db)
    await sql`CREATE TRIGGER messages_forget_ranked_words
      BEFORE UPDATE OF text ON messages
      FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
      EXECUTE FUNCTION messages_forget_ranked_words()`.execute(db)
  } else
    await sql`CREATE TRIGGER messages_forget_ranked_words AFTER UPDATE OF text ON messages
      WHEN old.text IS NOT new.text BEGIN
        UPDATE messages SET ranked_words = NULL WHERE id = new.id;
      END`.execute(db)
  let after = ''
  for (;;) {
    const { rows } = await sql<{ id: string; text: string }>`
      SELECT id, substr(text, 1, ${RANKED_CHARACTERS}) AS text FROM messages
      WHERE id > ${after} ORDER BY id LIMIT ${FILL_BATCH}`.execute(db)
    const last = rows.at(-1)
    if (!last) return
    const ids = rows.map((row) => row.id)
    const counts = rows.map((row) => rankedWordCount(row.text))
    if (dialect === 'postgres')
      await sql`UPDATE messages SET ranked_words = counted.words
        FROM unnest(${ids}::text[], ${counts}::integer[]) AS counted (id, words)
        WHERE messages.id = counted.id`.execute(db)
    else
      await sql`UPDATE messages SET ranked_words = counted.value ->> '$[1]'
        FROM json_each(${JSON.stringify(rows.map((row, i) => [row.id, counts[i]]))}) AS counted
        WHERE messages.id = counted.value ->> '$[0]'`.execute(db)
    after = last.id
  }
}
