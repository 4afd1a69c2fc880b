/**
 * What the rate limiter shared across instances costs (issue 14): many owners, each with its
 * own API key, asking `GET /agents` (no store read: the guard and its limiter are most of the
 * request) in turn, against three of our servers measured round by round. On SQLite the owner's
 * bucket is in the process's memory (the per-instance limiter); on PostgreSQL it is shared
 * with every instance through the database, taken `RATE_LIMIT_BATCH` tokens at a time (the
 * default 5, and 20: a server of each, on a database of its own). All
 * run the default limit (50/s, bursts of 100), which no owner reaches here: every answer is a
 * 200, and the difference is the limiter's way of counting. The server's CPU per request is
 * measured; PostgreSQL's own work for the batches is not in it, and is shown as statements per
 * request (the takes, counted by a trigger of the bench's on `rate_buckets`).
 */

import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@uxmate/test-postgres'
import pg from 'pg'
import type { BenchConfig } from '../config.ts'
import type { LoadSpec } from '../load/load-spec.ts'
import type { WriteRow } from '../report/results.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { writeOwnerKeys } from '../seed/owner-keys.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { bestOf, describeRound, measureRound, progress, type Round, warmUp } from './measure.ts'

const MODES = ['perInstance', 'shared', 'sharedBatch20'] as const
type Mode = (typeof MODES)[number]
/** The shared modes' batches: the default, and a larger one (4 times fewer statements). */
const BATCH: Record<Exclude<Mode, 'perInstance'>, number> = { shared: 5, sharedBatch20: 20 }

/** The server's default limit: what a deployment with API keys runs. */
const LIMITED = { RATE_LIMIT_PER_SECOND: '50', RATE_LIMIT_BURST: '100' }

/**
 * Counts the takes from the shared buckets: a bench-only column, moved by a trigger on each
 * take (on the owner's row, which the take holds anyway: no contention added). Returns a
 * function that reads the count so far.
 */
async function countTakes(databaseUrl: string): Promise<() => Promise<number>> {
  const query = async (text: string) => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      return (await client.query<{ takes: string | null }>(text)).rows
    } finally {
      await client.end()
    }
  }
  await query(`
    ALTER TABLE rate_buckets ADD COLUMN bench_takes bigint NOT NULL DEFAULT 0;
    CREATE FUNCTION bench_count_take() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.bench_takes := CASE WHEN TG_OP = 'UPDATE' THEN OLD.bench_takes + 1 ELSE 1 END;
      RETURN NEW;
    END $$;
    CREATE TRIGGER bench_count_take BEFORE INSERT OR UPDATE ON rate_buckets
      FOR EACH ROW EXECUTE FUNCTION bench_count_take();
  `)
  return async () =>
    Number((await query('SELECT SUM(bench_takes) AS takes FROM rate_buckets'))[0]?.takes ?? 0)
}

/**
 * Runs `config.owners` owners' requests against a server with the per-instance limiter
 * (SQLite) and two with the shared limiter (PostgreSQL), and returns their rows and the
 * statements per request each shared one asked of PostgreSQL, by batch.
 */
export async function runSharedLimiter(options: {
  config: BenchConfig
  main: string
  workDir: string
  logDir: string
}): Promise<{ rows: WriteRow[]; statementsPerRequest: Record<number, number> }> {
  const { config, main, logDir } = options
  const owners = config.owners
  const keysFile = join(options.workDir, 'limiter-keys.json')
  writeOwnerKeys(keysFile, owners)
  progress('limiter: starting an embedded PostgreSQL')
  const postgres = await startEmbeddedPostgres()
  const dirs = MODES.map((mode) => join(options.workDir, `data-limiter-${mode}`))
  for (const dir of dirs) mkdirSync(dir, { recursive: true })
  const servers = {} as Record<Mode, ServiceProcess>
  try {
    const env = { ...LIMITED, API_KEYS_FILE: keysFile }
    servers.perInstance = await startOurServer({
      main,
      dataDir: dirs[0] as string,
      logDir,
      role: 'limiter per-instance server',
      env,
    })
    // A database each: their owners' buckets and counts apart.
    const takes = {} as Record<Exclude<Mode, 'perInstance'>, () => Promise<number>>
    for (const [index, mode] of (['shared', 'sharedBatch20'] as const).entries()) {
      const databaseUrl = await postgres.createDatabase(`uxmate_limiter_${BATCH[mode]}`)
      servers[mode] = await startOurServer({
        main,
        dataDir: dirs[index + 1] as string,
        logDir,
        role: `limiter shared batch ${BATCH[mode]} server`,
        env: { ...env, DATABASE_URL: databaseUrl, RATE_LIMIT_BATCH: String(BATCH[mode]) },
      })
      takes[mode] = await countTakes(databaseUrl)
    }
    const specOf = (mode: Mode): LoadSpec => ({
      baseUrl: servers[mode].baseUrl,
      method: 'GET',
      path: '/agents',
      ownerMix: { owners, reads: ['/agents'], streamEvery: 0 },
      connections: config.connections,
      durationS: config.durationS,
      warmupS: config.warmupS,
      timeoutS: 30,
    })
    for (const mode of MODES) await warmUp(specOf(mode))
    const rounds = new Map<Mode, Round[]>(MODES.map((mode) => [mode, []]))
    const requests = { shared: 0, sharedBatch20: 0 }
    const takesBefore = { shared: await takes.shared(), sharedBatch20: await takes.sharedBatch20() }
    for (let round = 0; round < config.rounds; round++) {
      for (const mode of MODES) {
        const result = await measureRound(servers[mode], specOf(mode))
        rounds.get(mode)?.push(result)
        if (mode !== 'perInstance') requests[mode] += result.load.ok
        progress(`limiter, ${mode} #${round + 1}: ${describeRound(result)}`)
      }
    }
    const statementsPerRequest: Record<number, number> = {}
    for (const mode of ['shared', 'sharedBatch20'] as const) {
      const statements = (await takes[mode]()) - takesBefore[mode]
      statementsPerRequest[BATCH[mode]] = statements / Math.max(1, requests[mode])
    }
    const label = (mode: Mode) =>
      mode === 'perInstance'
        ? `${owners.toLocaleString('en-US')} owners' GET /agents, per-instance limit (memory)`
        : `${owners.toLocaleString('en-US')} owners' GET /agents, limit shared through PostgreSQL (batch ${BATCH[mode]})`
    const rows: WriteRow[] = MODES.map((mode) => ({
      kind: 'write',
      scenario: `limiter-${mode}`,
      label: label(mode),
      store: mode === 'perInstance' ? 'SQLite' : 'PostgreSQL',
      sessions: 0,
      ours: bestOf(rounds.get(mode) ?? []),
    }))
    return { rows, statementsPerRequest }
  } finally {
    for (const mode of MODES) await servers[mode]?.stop()
    await postgres.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}
