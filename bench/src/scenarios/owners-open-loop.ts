/**
 * Many owners, open loop (issue 21): each owner's sidebar polls `GET /sessions/grouped` every
 * `BENCH_OWNERS_POLL_MS` with `If-None-Match`, one owner in 20 streams a turn every
 * `BENCH_OWNERS_STREAM_EVERY_S` on an `openai` agent (the server's agents file pointing at a
 * local fake that paces its tokens), and the others create or continue a session every
 * `BENCH_OWNERS_WRITE_EVERY_S` on the echo agent. Requests are sent when due and timed from
 * then (see `load/open-loop-worker.ts`). The owner count steps up until reads' p99 reaches
 * 100 ms or the first token's p99 200 ms: on SQLite (one instance), on PostgreSQL (two
 * instances on one database, requests alternating between them as a load balancer without
 * affinity would send them), and, for the polls alone, the Express peer. Then the read cache's
 * question: SQLite at 1,000 owners with the default read cache and with one that holds every
 * owner's answers.
 */

import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@uxmate/test-postgres'
import getPort from 'get-port'
import type { BenchConfig, OwnersOpenTarget } from '../config.ts'
import { askWorker } from '../load/ask-worker.ts'
import {
  MEASURING,
  type OpenLoopReply,
  type OpenLoopResult,
  type OpenLoopSpec,
} from '../load/open-loop-spec.ts'
import { seedPostgres } from '../pg/seed-postgres.ts'
import {
  type OwnersOpenResult,
  type OwnersOpenStep,
  type OwnersOpenTargetResult,
  stepVerdict,
} from '../report/owners-open-results.ts'
import { ProcessSampler } from '../runtime/proc-stats.ts'
import { type CacheLookups, cacheLookups, hitRate } from '../runtime/server-metrics.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { writeOwnerKeys } from '../seed/owner-keys.ts'
import { seedStore } from '../seed/seed-store.ts'
import { startOurServer, startPacedOpenAiFake, startPeerServer } from '../targets/start-targets.ts'
import { progress } from './measure.ts'
import { searchLargestOwners } from './owners-open-search.ts'

/** Sessions each owner has before the run (its sidebar's size). */
const SESSIONS_PER_OWNER = 20
/** One owner in this many streams. */
const STREAM_EVERY = 20
/** Tokens of a streamed reply: 2 s at 20 ms a token. */
const TOKENS = 100
/** One turn in this many starts a session; the others continue the owner's latest. */
const NEW_SESSION_EVERY = 5
/** Sockets per instance of the load process: a queue of its own when the server falls behind. */
const SOCKETS = 256
/** Owners of the read cache's comparison: the count the 28.8% hit rate was measured at. */
const CACHE_OWNERS = 1_000
/** Far more than 1,000 owners' grouped answers need. */
const SIZED_CACHE_BYTES = 256 * 2 ** 20
/** The server's default rate limit: what a deployment with API keys runs. */
const LIMITED = { RATE_LIMIT_PER_SECOND: '50', RATE_LIMIT_BURST: '100' }

/** A target's servers, what its load looks like, and where its cache counts are. */
interface Target {
  servers: ServiceProcess[]
  metricsPorts: number[]
  /** Our server: keys, conditional polls and turns; the peer: polls alone. */
  ours: boolean
}

/** The agents file of our servers: the echo agent, and `paced` on the fake. */
function writeAgentsFile(file: string, fakeBaseUrl: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      agents: [
        { id: 'echo', name: 'Echo', provider: 'echo' },
        {
          id: 'paced',
          name: 'Paced',
          provider: 'openai',
          model: 'paced-fake',
          base_url: `${fakeBaseUrl}/v1`,
        },
      ],
    }),
  )
}

function specOf(config: BenchConfig, target: Target, owners: number): OpenLoopSpec {
  return {
    baseUrls: target.servers.map((server) => server.baseUrl),
    owners,
    auth: target.ours,
    // The peer answers every owner the newest sessions of all: 20, the size of one owner's.
    pollPath: target.ours ? '/sessions/grouped?limit=100' : '/sessions/grouped?limit=20',
    pollEveryMs: config.ownersPollMs,
    conditional: target.ours,
    streamEvery: target.ours ? STREAM_EVERY : 0,
    streamEveryMs: config.ownersStreamEveryS * 1000,
    streamAgent: 'paced',
    writeEveryMs: target.ours ? config.ownersWriteEveryS * 1000 : 0,
    writeAgent: 'echo',
    newSessionEvery: NEW_SESSION_EVERY,
    // At least two polls of every owner unmeasured: the cache and the ETags in steady state.
    warmupS: Math.max(config.warmupS, Math.ceil((2 * config.ownersPollMs) / 1000)),
    durationS: config.durationS,
    sockets: SOCKETS,
    timeoutS: 10,
  }
}

async function lookups(target: Target): Promise<CacheLookups> {
  const all = await Promise.all(target.metricsPorts.map((port) => cacheLookups(port)))
  return all.reduce((sum, one) => ({ hit: sum.hit + one.hit, miss: sum.miss + one.miss }), {
    hit: 0,
    miss: 0,
  })
}

/** One open-loop run of `owners` against `target`, with its servers' CPU and memory. */
async function runStep(
  config: BenchConfig,
  name: string,
  target: Target,
  owners: number,
): Promise<OwnersOpenStep> {
  const spec = specOf(config, target, owners)
  const samplers = target.servers.map((server) => new ProcessSampler(server.pid))
  const before = target.ours ? await lookups(target) : undefined
  for (const sampler of samplers) sampler.start()
  const budgetMs = (spec.warmupS + spec.durationS + spec.timeoutS + 60) * 1000
  const reply = await askWorker<OpenLoopSpec, OpenLoopReply>(
    'load/open-loop-worker.ts',
    spec,
    budgetMs,
    (note) => {
      if (note !== MEASURING) return
      // From the measured window on: the warm-up's first reads and the JIT are not counted.
      for (const sampler of samplers) {
        sampler.stop()
        sampler.start()
      }
    },
  )
  const windows = samplers.map((sampler) => sampler.stop())
  if (!reply.ok) throw new Error(`open-loop load process failed: ${reply.error}`)
  const load = reply.result
  const cpuSeconds = windows.reduce((sum, window) => sum + window.cpuSeconds, 0)
  const measured = load.polls.sent + load.turns.sent + load.firstToken.sent
  const step: OwnersOpenStep = {
    owners,
    load,
    cpuUsPerRequest: (cpuSeconds * 1e6) / Math.max(1, measured),
    cpuMsPerOwnerSecond: (cpuSeconds * 1e3) / (owners * spec.durationS),
    peakRssMiB: Math.max(...windows.map((window) => window.peak)) / 2 ** 20,
    hitRate: before ? hitRate(before, await lookups(target)) : null,
    loadAverage: loadavg()[0] ?? 0,
    verdict: stepVerdict(load),
  }
  progress(`owners-open, ${name}, ${owners} owners: ${describeStep(step)}`)
  return step
}

/** `reads p99 12.3 ms (60% 304), first token p99 45.6 ms, …` for a progress line. */
function describeStep(step: OwnersOpenStep): string {
  const { polls, firstToken, turns, sendLagMs } = step.load
  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–')
  const failed = (kind: OpenLoopResult['polls']) =>
    kind.failed + Object.values(kind.rejected).reduce((sum, n) => sum + n, 0)
  return (
    `${step.verdict}; reads ${polls.ok}/${polls.sent} p50 ${ms(polls.latencyMs.p50)} p99 ${ms(polls.latencyMs.p99)} ms ` +
    `(${((100 * polls.notModified) / Math.max(1, polls.ok)).toFixed(0)}% 304, 200s of ${polls.meanFullBytes?.toFixed(0) ?? '–'} B), ` +
    `first token ${firstToken.ok}/${firstToken.sent} p99 ${ms(firstToken.latencyMs.p99)} ms, ` +
    `turns ${turns.ok}/${turns.sent} p99 ${ms(turns.latencyMs.p99)} ms, ` +
    `failed ${failed(polls) + failed(turns) + failed(firstToken)}, ` +
    `send lag p99 ${ms(sendLagMs.p99)} ms, ${step.cpuUsPerRequest.toFixed(0)} µs CPU/req, ` +
    `${step.cpuMsPerOwnerSecond.toFixed(3)} ms CPU/owner-s, ` +
    `hit rate ${step.hitRate === null ? '–' : `${(100 * step.hitRate).toFixed(1)}%`}, ` +
    `peak RSS ${step.peakRssMiB.toFixed(0)} MiB, load ${step.loadAverage.toFixed(1)}`
  )
}

/**
 * Seeds the stores for the largest step, starts the fake and the targets one by one, searches
 * each, and returns every step.
 */
export async function runOwnersOpenLoop(options: {
  config: BenchConfig
  main: string
  workDir: string
  logDir: string
}): Promise<OwnersOpenResult> {
  const { config, main, logDir, workDir } = options
  const maxOwners = Math.max(...config.ownersOpenSteps)
  const sessions = maxOwners * SESSIONS_PER_OWNER
  const newest = Date.now() - 60_000
  const range = { from: 0, to: sessions, newest, withTenMessageSession: false, owners: maxOwners }
  const keysFile = join(workDir, 'owners-open-keys.json')
  writeOwnerKeys(keysFile, maxOwners)
  const agentsFile = join(workDir, 'owners-open-agents.json')
  const dirs: string[] = []
  const started: ServiceProcess[] = []
  const fake = await startPacedOpenAiFake({ tokenMs: config.sseEventMs, tokens: TOKENS, logDir })
  started.push(fake)
  writeAgentsFile(agentsFile, fake.baseUrl)
  const targets: OwnersOpenTargetResult[] = []
  const wants = (name: string) => (config.ownersOpenTargets as readonly string[]).includes(name)

  /** Starts one of our servers with the owners' keys, the agents file and its metrics port. */
  const startOurs = async (role: string, dataDir: string, env: Record<string, string> = {}) => {
    const metricsPort = await getPort({ host: '127.0.0.1' })
    const server = await startOurServer({
      main,
      dataDir,
      logDir,
      role,
      env: {
        ...LIMITED,
        API_KEYS_FILE: keysFile,
        AGENTS_FILE: agentsFile,
        OPENAI_API_KEY: 'bench-fake',
        METRICS_PORT: String(metricsPort),
        ECHO_DELAY_MS: String(config.sseEventMs),
        ...env,
      },
    })
    started.push(server)
    return { server, metricsPort }
  }
  const search = async (name: OwnersOpenTarget, label: string, target: Target) => {
    const counts = config.ownersOpenSteps
    // One unmeasured step first: a fresh server's first step ran cold (JIT, first statements)
    // and broke reads p99 at 250 owners where the next step held 1,000 (13:13, load 2.4).
    await runStep(config, `${name} (warm-up, not counted)`, target, counts[0] ?? 100)
    const outcome = await searchLargestOwners(counts, config.ownersOpenSearchS * 1000, (owners) =>
      runStep(config, name, target, owners),
    )
    targets.push({ target: name, label, ...outcome })
    progress(
      `owners-open, ${name}: largest ${outcome.largest ?? 'none'}; stopped by ${outcome.stoppedBy}`,
    )
    return outcome
  }
  const stopAll = async (servers: ServiceProcess[]) => {
    for (const server of servers) await server.stop()
  }

  try {
    const seedDir = join(workDir, 'data-owners-open')
    dirs.push(seedDir)
    if (wants('sqlite')) {
      await (
        await startOurServer({ main, dataDir: seedDir, logDir, role: 'owners-open seed server' })
      ).stop()
      const seeded = seedStore(join(seedDir, 'uxmate.sqlite'), range)
      progress(
        `owners-open: seeded ${sessions} sessions of ${maxOwners} owners in ${(seeded.ms / 1000).toFixed(1)} s`,
      )
    }
    if (wants('sqlite')) {
      const copy = (name: string) => {
        const dir = join(workDir, `data-owners-open-${name}`)
        cpSync(seedDir, dir, { recursive: true })
        dirs.push(dir)
        return dir
      }
      const deployed = await startOurs('owners-open sqlite server', copy('sqlite'))
      const deployedTarget = {
        servers: [deployed.server],
        metricsPorts: [deployed.metricsPort],
        ours: true,
      }
      const outcome = await search(
        'sqlite',
        'SQLite, one instance, as deployed (16 MiB read cache)',
        deployedTarget,
      )
      // The cache's question at 1,000 owners whatever the search reached: the default cache
      // against one that holds every owner's answers, the same load.
      const searched = outcome.steps.find((step) => step.owners === CACHE_OWNERS)
      const deployedAtCache =
        searched ?? (await runStep(config, 'sqlite', deployedTarget, CACHE_OWNERS))
      targets.push({
        target: 'sqlite-default-cache',
        label: 'SQLite, one instance, 16 MiB read cache (the default)',
        steps: [deployedAtCache],
        largest: null,
        stoppedBy: 'one step: the read cache compared',
      })
      await stopAll([deployed.server])
      const sized = await startOurs('owners-open sqlite sized-cache server', copy('sized'), {
        READ_CACHE_BYTES: String(SIZED_CACHE_BYTES),
      })
      const sizedStep = await runStep(
        config,
        'sqlite-sized-cache',
        { servers: [sized.server], metricsPorts: [sized.metricsPort], ours: true },
        CACHE_OWNERS,
      )
      targets.push({
        target: 'sqlite-sized-cache',
        label: 'SQLite, one instance, 256 MiB read cache',
        steps: [sizedStep],
        largest: null,
        stoppedBy: 'one step: the read cache compared',
      })
      await stopAll([sized.server])
    }
    if (wants('peer')) {
      // The peer knows no owners: a store of the same sessions, all the anonymous owner's, which
      // it answers every poll from (the newest 20, the size of one owner's sidebar).
      const peerDir = join(workDir, 'data-owners-open-peer')
      dirs.push(peerDir)
      await (
        await startOurServer({ main, dataDir: peerDir, logDir, role: 'owners-open peer seed' })
      ).stop()
      seedStore(join(peerDir, 'uxmate.sqlite'), { ...range, owners: undefined })
      const peer = await startPeerServer({ dbPath: join(peerDir, 'uxmate.sqlite'), logDir })
      started.push(peer)
      await search('peer', 'Express peer, SQLite, polls alone (no keys, no ETag)', {
        servers: [peer],
        metricsPorts: [],
        ours: false,
      })
      await stopAll([peer])
    }
    if (wants('postgres')) {
      progress('owners-open: starting an embedded PostgreSQL')
      const postgres = await startEmbeddedPostgres({ settings: { shared_buffers: '256MB' } })
      try {
        const databaseUrl = await postgres.createDatabase('uxmate_owners_open')
        const pgDirs = [0, 1].map((index) => join(workDir, `data-owners-open-pg-${index}`))
        for (const dir of pgDirs) mkdirSync(dir, { recursive: true })
        dirs.push(...pgDirs)
        const env = { DATABASE_URL: databaseUrl }
        // The first instance migrates the database; the seed then fills the tables it made.
        await (
          await startOurServer({
            main,
            dataDir: pgDirs[0] as string,
            logDir,
            role: 'owners-open pg migrate',
            env,
          })
        ).stop()
        const seeded = await seedPostgres(databaseUrl, range)
        progress(`owners-open: seeded PostgreSQL in ${(seeded.ms / 1000).toFixed(1)} s`)
        const instances = []
        for (const [index, dir] of pgDirs.entries()) {
          instances.push(await startOurs(`owners-open pg instance ${index + 1}`, dir, env))
        }
        await search('postgres', 'PostgreSQL, two instances, as deployed', {
          servers: instances.map((one) => one.server),
          metricsPorts: instances.map((one) => one.metricsPort),
          ours: true,
        })
        await stopAll(instances.map((one) => one.server))
      } finally {
        await postgres.stop()
      }
    }
    return {
      pollMs: config.ownersPollMs,
      sessionsPerOwner: SESSIONS_PER_OWNER,
      streamEvery: STREAM_EVERY,
      streamEveryS: config.ownersStreamEveryS,
      writeEveryS: config.ownersWriteEveryS,
      tokenMs: config.sseEventMs,
      tokens: TOKENS,
      targets,
    }
  } finally {
    await stopAll(started)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}
