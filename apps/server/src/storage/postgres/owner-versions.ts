/**
 * Versions of each owner's sessions in PostgreSQL, shared by every instance on the database: a
 * row per owner whose `version` the database itself moves, by triggers, in the transaction of
 * every write that changes what a read answers. An instance keeps its answers to reads tagged
 * with the version read before them, and serves one again only while one indexed lookup finds
 * the same version: a write that another instance acknowledged has committed, so its version is
 * what that lookup sees, and no kept answer older than it is served.
 */
import { type Kysely, sql } from 'kysely'
import type pg from 'pg'
import type { ChangeVersions } from '../../domain/change-versions.ts'

/**
 * The table and its triggers (migration 0054). Triggers rather than a line in each write: no
 * write path, today's or a later one (an import, a fork, a cascade), can forget its owner.
 *
 * The triggers are deferred to the commit: the owner's row is locked only from then to the end
 * of the commit, so the writes of one owner wait for each other's commits, not for each other's
 * whole transactions. A session row's update that changes only what no answer shows (a run's
 * lease renewed, event ids reserved) moves nothing, as on SQLite (`change-tracking.ts`).
 *
 * Writes shown by reads all change a `sessions` row (a message, its files, a run's end, a
 * branch switch, organising, a fork, an import, a delete) or a `message_feedback` row (a
 * rating), which carries its owner.
 */
export async function createOwnerVersions(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE owner_versions (
      owner text PRIMARY KEY,
      version bigint NOT NULL
    )`.execute(db)
  await sql`CREATE FUNCTION move_owner_version() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      owner_of text;
      unshown sessions;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        owner_of := OLD.owner;
      ELSE
        owner_of := NEW.owner;
      END IF;
      IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'sessions' THEN
        -- The row as it would be had only what no answer shows changed.
        unshown := OLD;
        unshown.run_lease_expires_at := NEW.run_lease_expires_at;
        unshown.event_seq := NEW.event_seq;
        IF unshown IS NOT DISTINCT FROM NEW THEN
          RETURN NULL;
        END IF;
      END IF;
      INSERT INTO owner_versions AS kept (owner, version) VALUES (owner_of, 1)
        ON CONFLICT (owner) DO UPDATE SET version = kept.version + 1;
      RETURN NULL;
    END
    $$`.execute(db)
  for (const table of ['sessions', 'message_feedback'])
    await sql`CREATE CONSTRAINT TRIGGER ${sql.raw(`${table}_move_owner_version`)}
        AFTER INSERT OR UPDATE OR DELETE ON ${sql.table(table)}
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION move_owner_version()`.execute(db)
}

/** Rows an owner's version is spread over (migration 0055). */
const SLOTS = 16

/**
 * The owner's version spread over `SLOTS` rows (migration 0055), the version their sum. With one
 * row, the writes of one owner committed one after the other, each waiting for the previous
 * one's commit to reach the disk (measured with `pnpm --filter @uxmate/bench capacity`: ~15
 * turns a second for one owner, see docs/scaling.md); now a write bumps the row of its
 * transaction's id (concurrent transactions have consecutive ids), so commits of one owner wait
 * for each other only when their ids share a slot, and PostgreSQL groups the rest into one
 * flush. Each write adds 1 to one row, and committed writes only accumulate: two equal sums
 * are the same committed writes, as with one counter.
 */
export async function spreadOwnerVersions(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE owner_versions ADD COLUMN slot smallint NOT NULL DEFAULT 0`.execute(db)
  await sql`ALTER TABLE owner_versions DROP CONSTRAINT owner_versions_pkey`.execute(db)
  await sql`ALTER TABLE owner_versions ADD PRIMARY KEY (owner, slot)`.execute(db)
  await sql`CREATE OR REPLACE FUNCTION move_owner_version() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      owner_of text;
      unshown sessions;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        owner_of := OLD.owner;
      ELSE
        owner_of := NEW.owner;
      END IF;
      IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'sessions' THEN
        -- The row as it would be had only what no answer shows changed.
        unshown := OLD;
        unshown.run_lease_expires_at := NEW.run_lease_expires_at;
        unshown.event_seq := NEW.event_seq;
        IF unshown IS NOT DISTINCT FROM NEW THEN
          RETURN NULL;
        END IF;
      END IF;
      -- One slot per transaction, whatever its rows: it locks one row of each owner it writes.
      INSERT INTO owner_versions AS kept (owner, slot, version)
        VALUES (owner_of, (pg_current_xact_id()::text::bigint % ${sql.lit(SLOTS)})::smallint, 1)
        ON CONFLICT (owner, slot) DO UPDATE SET version = kept.version + 1;
      RETURN NULL;
    END
    $$`.execute(db)
}

/**
 * The lookup of the owners `$1`, prepared once per connection (a named statement of `pg`): one
 * range of the primary key (an owner's slots) per owner, no row for an owner never written.
 */
const VERSIONS_OF: Omit<pg.QueryArrayConfig, 'values'> = {
  name: 'uxmate_owner_versions',
  text: `SELECT owner, sum(version)::bigint FROM owner_versions WHERE owner = ANY($1::text[])
    GROUP BY owner`,
  rowMode: 'array',
}

/** Lookups on their way at once; the ones asked meanwhile wait and go together. */
const MOST_IN_FLIGHT = 2

interface Waiting {
  resolve(version: number): void
  reject(error: unknown): void
}

/**
 * The owners' versions as the database holds them now (0 for an owner never written), looked
 * up on `pool`. Measured (issue 21, docs/performance.md): a kept answer on PostgreSQL cost its
 * version's round trip, one statement per read through `pg`. Now at most `MOST_IN_FLIGHT`
 * lookups are on their way; the ones asked meanwhile wait for one to come back and then go as
 * one statement for all their owners. A lookup only ever joins one not yet sent, so what it
 * answers was read after it was asked: it sees every write acknowledged before (the rule of
 * `ChangeVersions`).
 *
 * @example
 * ```ts
 * const changes = ownerVersionsOn(pool)
 * const before = await changes.of('alice')
 * ```
 */
export function ownerVersionsOn(pool: Pick<pg.Pool, 'query'>): ChangeVersions {
  let next = new Map<string, Waiting[]>()
  let inFlight = 0

  async function send(): Promise<void> {
    const batch = next
    next = new Map()
    inFlight++
    try {
      const { rows } = await pool.query<[string, number]>({
        ...VERSIONS_OF,
        values: [[...batch.keys()]],
      })
      const found = new Map(rows)
      for (const [owner, waiting] of batch)
        for (const { resolve } of waiting) resolve(found.get(owner) ?? 0)
    } catch (error) {
      for (const waiting of batch.values()) for (const { reject } of waiting) reject(error)
    } finally {
      inFlight--
      if (next.size > 0) void send()
    }
  }

  return {
    of(owner) {
      return new Promise<number>((resolve, reject) => {
        const waiting = next.get(owner)
        if (waiting) waiting.push({ resolve, reject })
        else next.set(owner, [{ resolve, reject }])
        if (inFlight < MOST_IN_FLIGHT) void send()
      })
    },
  }
}
