/**
 * Many owners (issue 21): thousands of API keys, each owner's sidebar polling grouped and the
 * list, one owner in 20 also starting a turn that streams on each visit. Four of our servers on
 * copies of one store, measured in turn round by round: as deployed (a 16 MiB read cache, the
 * default per-owner rate limit of 50/s with bursts of 100), with a read cache large enough for
 * every owner's answers (256 MiB), the same without the rate limiter (`RATE_LIMIT_PER_SECOND=0`),
 * and without the read cache (`READ_CACHE_BYTES=0`). Each server first gets
 * one whole cycle of visits unmeasured (every owner's reads once), so the rounds see the cache
 * in its steady state; the hit rate is taken from each server's own metrics over the measured
 * rounds only.
 */

import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import getPort from 'get-port'
import type { BenchConfig } from '../config.ts'
import type { LoadSpec } from '../load/load-spec.ts'
import { runLoad } from '../load/run-load.ts'
import type { ManyOwnersResult, WriteRow } from '../report/results.ts'
import {
  type CacheLookups,
  cacheLookups,
  hitRate as hitRateBetween,
} from '../runtime/server-metrics.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { writeOwnerKeys } from '../seed/owner-keys.ts'
import { seedStore } from '../seed/seed-store.ts'
import { startOurServer } from '../targets/start-targets.ts'
import {
  bestOf,
  describeRound,
  measureRound,
  progress,
  type Round,
  responses,
  warmUp,
} from './measure.ts'

const MODES = ['deployed', 'bigCache', 'noLimiter', 'noCache'] as const
type Mode = (typeof MODES)[number]

const MODE_LABELS: Record<Mode, string> = {
  deployed: 'as deployed (16 MiB cache, rate limit 50/s)',
  bigCache: '256 MiB cache',
  noLimiter: '256 MiB cache, no rate limiter',
  noCache: 'no read cache',
}

/** The server's default rate limit: what a deployment with API keys runs. */
const LIMITED = { RATE_LIMIT_PER_SECOND: '50', RATE_LIMIT_BURST: '100' }
/** Enough for every owner's two answers at 1,000-2,000 owners (the default holds ~1,300 answers). */
const BIG_CACHE = String(256 * 2 ** 20)

const MODE_ENV: Record<Mode, Record<string, string>> = {
  deployed: LIMITED,
  bigCache: { ...LIMITED, READ_CACHE_BYTES: BIG_CACHE },
  // Against bigCache: the limiter's cost where most reads are kept answers, so it shows most.
  noLimiter: { RATE_LIMIT_PER_SECOND: '0', READ_CACHE_BYTES: BIG_CACHE },
  noCache: { ...LIMITED, READ_CACHE_BYTES: '0' },
}

/** Sessions each owner has before the run (its sidebar's size). */
const SESSIONS_PER_OWNER = 20
/** One owner in this many streams a turn on each visit. */
const STREAM_EVERY = 20

/**
 * Seeds a store of `config.owners` owners (a fresh one, migrated by the server), runs the mix
 * against the three servers and returns their rows and the hit rates.
 */
export async function runManyOwners(options: {
  config: BenchConfig
  main: string
  workDir: string
  logDir: string
}): Promise<{ rows: WriteRow[]; result: ManyOwnersResult }> {
  const { config, main, logDir } = options
  const owners = config.owners
  const sessions = owners * SESSIONS_PER_OWNER
  const seedDir = join(options.workDir, 'data-owners')
  await (
    await startOurServer({ main, dataDir: seedDir, logDir, role: 'owners seed server' })
  ).stop()
  const seeded = seedStore(join(seedDir, 'uxmate.sqlite'), {
    from: 0,
    to: sessions,
    newest: Date.now() - 60_000,
    withTenMessageSession: false,
    owners,
  })
  progress(
    `owners: seeded ${sessions.toLocaleString('en-US')} sessions of ${owners.toLocaleString('en-US')} owners in ${(seeded.ms / 1000).toFixed(1)} s`,
  )
  const keysFile = join(options.workDir, 'owner-keys.json')
  writeOwnerKeys(keysFile, owners)

  const servers = {} as Record<Mode, ServiceProcess>
  const metricsPorts = {} as Record<Mode, number>
  const dirs: string[] = [seedDir]
  try {
    for (const mode of MODES) {
      const dataDir = join(options.workDir, `data-owners-${mode}`)
      cpSync(seedDir, dataDir, { recursive: true })
      dirs.push(dataDir)
      metricsPorts[mode] = await getPort({ host: '127.0.0.1' })
      servers[mode] = await startOurServer({
        main,
        dataDir,
        logDir,
        role: `owners ${mode} server`,
        env: {
          ...MODE_ENV[mode],
          API_KEYS_FILE: keysFile,
          METRICS_PORT: String(metricsPorts[mode]),
          // The streamed turns' pace: a word every 20 ms, as the SSE part's run.
          ECHO_DELAY_MS: String(config.sseEventMs),
        },
      })
    }
    const specOf = (mode: Mode): LoadSpec => ({
      baseUrl: servers[mode].baseUrl,
      method: 'POST',
      path: '/sessions/text',
      headers: { prefer: 'respond-async' },
      body: {
        kind: 'multipart',
        fields: { agent_id: 'echo', text_prompt: 'Summarise the interview notes from Tuesday.' },
        files: [],
      },
      ownerMix: {
        owners,
        reads: ['/sessions/grouped?limit=100', '/sessions?agent_id=echo'],
        streamEvery: STREAM_EVERY,
      },
      connections: config.connections,
      durationS: config.durationS,
      warmupS: config.warmupS,
      timeoutS: 30,
    })
    // One whole cycle of visits, so the rounds start from the cache's steady state.
    const cycle = owners * 2 + Math.ceil(owners / STREAM_EVERY)
    for (const mode of MODES) {
      await warmUp(specOf(mode))
      await runLoad({ ...specOf(mode), amount: cycle, warmupS: 0 })
    }
    const before = {} as Record<Mode, CacheLookups>
    for (const mode of MODES) before[mode] = await cacheLookups(metricsPorts[mode])
    const rounds = new Map<Mode, Round[]>(MODES.map((mode) => [mode, []]))
    for (let round = 0; round < config.rounds; round++) {
      for (const mode of MODES) {
        const result = await measureRound(servers[mode], specOf(mode))
        rounds.get(mode)?.push(result)
        progress(`owners, ${mode} #${round + 1}: ${describeRound(result)}`)
      }
    }
    const hitRate = {} as Record<Mode, number | null>
    for (const mode of MODES) {
      hitRate[mode] = hitRateBetween(before[mode], await cacheLookups(metricsPorts[mode]))
    }
    const measured = Object.fromEntries(
      MODES.map((mode) => [mode, bestOf(rounds.get(mode) ?? [])]),
    ) as Record<Mode, ReturnType<typeof bestOf>>
    const rows: WriteRow[] = MODES.map((mode) => ({
      kind: 'write',
      scenario: `owners-${mode}`,
      label: `${owners.toLocaleString('en-US')} owners' sidebars, ${MODE_LABELS[mode]}`,
      store: 'SQLite',
      sessions,
      ours: measured[mode],
    }))
    return {
      rows,
      result: {
        owners,
        sessionsPerOwner: SESSIONS_PER_OWNER,
        streamEvery: STREAM_EVERY,
        hitRate: hitRate.deployed,
        hitRateNoLimiter: hitRate.noLimiter,
        hitRateBigCache: hitRate.bigCache,
        cpuUsPerRequest: {
          deployed: measured.deployed.cpuUsPerRequest,
          noLimiter: measured.noLimiter.cpuUsPerRequest,
          bigCache: measured.bigCache.cpuUsPerRequest,
          noCache: measured.noCache.cpuUsPerRequest,
        },
        cpuUsPerRequestRounds: Object.fromEntries(
          MODES.map((mode) => [
            mode,
            (rounds.get(mode) ?? []).map(
              (round) => (round.proc.cpuSeconds * 1e6) / Math.max(1, responses(round.load)),
            ),
          ]),
        ) as Record<Mode, number[]>,
      },
    }
  } finally {
    for (const mode of MODES) await servers[mode]?.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}
