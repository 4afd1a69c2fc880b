import type Database from 'better-sqlite3'
import type {
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyStore,
  StoredAnswer,
} from '../idempotency-store.ts'

interface KeyRow {
  fingerprint: string
  state: 'in_flight' | 'done'
  status: number | null
  headers: string | null
  body: Buffer | null
  created_at: number
}

/** Expired keys are deleted at most this often, by whichever claim comes along. */
const SWEEP_EVERY_MS = 60_000

/**
 * The idempotency keys in the sessions database (table `idempotency_keys`, migration 4), so an
 * answer is as durable as the session it is about. Statements are prepared on first use, after
 * the migrations ran.
 *
 * @example
 * ```ts
 * const keys = sqliteIdempotency(db)
 * const outcome = await keys.claim({ owner, key, fingerprint }, times)
 * ```
 */
export function sqliteIdempotency(db: Database.Database): IdempotencyStore {
  const prepare = () => ({
    find: db.prepare<[string, string], KeyRow>(
      `SELECT fingerprint, state, status, headers, body, created_at FROM idempotency_keys
       WHERE owner = ? AND key = ?`,
    ),
    claim: db.prepare<{
      owner: string
      key: string
      fingerprint: string
      sessionId: string | null
      now: number
    }>(
      `INSERT INTO idempotency_keys (owner, key, fingerprint, state, session_id, created_at)
       VALUES (@owner, @key, @fingerprint, 'in_flight', @sessionId, @now)
       ON CONFLICT (owner, key) DO UPDATE SET fingerprint = excluded.fingerprint,
         state = 'in_flight', session_id = excluded.session_id, status = NULL, headers = NULL,
         body = NULL, created_at = excluded.created_at`,
    ),
    // Stored only while the session it is about still exists: a session deleted meanwhile
    // must not live on in its answers.
    complete: db.prepare<{
      owner: string
      key: string
      status: number
      headers: string
      body: Uint8Array
      sessionId: string | null
    }>(
      `UPDATE idempotency_keys SET state = 'done', status = @status, headers = @headers,
         body = @body, session_id = COALESCE(@sessionId, session_id)
       WHERE owner = @owner AND key = @key AND state = 'in_flight'
         AND (COALESCE(@sessionId, session_id) IS NULL
           OR EXISTS (SELECT 1 FROM sessions WHERE id = COALESCE(@sessionId, session_id)))`,
    ),
    release: db.prepare<[string, string]>(
      `DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND state = 'in_flight'`,
    ),
    releaseAll: db.prepare(`DELETE FROM idempotency_keys WHERE state = 'in_flight'`),
    sweep: db.prepare<[number]>('DELETE FROM idempotency_keys WHERE created_at < ?'),
  })
  let statements: ReturnType<typeof prepare> | undefined
  const sql = () => {
    statements ??= prepare()
    return statements
  }
  let lastSweep = Number.NEGATIVE_INFINITY

  const claim = db.transaction(
    (
      request: IdempotencyClaim & { sessionId?: string },
      now: number,
      expiredBefore: number,
      abandonedBefore: number,
    ): ClaimOutcome => {
      if (now - lastSweep >= SWEEP_EVERY_MS) {
        sql().sweep.run(expiredBefore)
        lastSweep = now
      }
      const row = sql().find.get(request.owner, request.key)
      const fresh = row !== undefined && row.created_at >= expiredBefore
      if (fresh && row.fingerprint !== request.fingerprint) return { kind: 'mismatch' }
      if (fresh && row.state === 'done') return { kind: 'replay', answer: toAnswer(row) }
      if (fresh && row.created_at >= abandonedBefore) return { kind: 'in_progress' }
      sql().claim.run({
        owner: request.owner,
        key: request.key,
        fingerprint: request.fingerprint,
        sessionId: request.sessionId ?? null,
        now,
      })
      return { kind: 'claimed' }
    },
  )

  return {
    async claim(request, times) {
      return claim(
        request,
        times.now.getTime(),
        times.expiredBefore.getTime(),
        times.abandonedBefore.getTime(),
      )
    },

    async complete(owner, key, answer, sessionId) {
      sql().complete.run({
        owner,
        key,
        status: answer.status,
        headers: JSON.stringify(answer.headers),
        body: answer.body,
        sessionId: sessionId ?? null,
      })
    },

    async release(owner, key) {
      sql().release.run(owner, key)
    },

    async releaseInterrupted() {
      return sql().releaseAll.run().changes
    },
  }
}

function toAnswer(row: KeyRow): StoredAnswer {
  return {
    status: row.status ?? 500,
    headers: row.headers ? (JSON.parse(row.headers) as Record<string, string>) : {},
    body: new Uint8Array(row.body ?? new Uint8Array(0)),
  }
}
