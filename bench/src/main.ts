/**
 * `pnpm bench`: measures our production build against the physical limit (bare Hono serving
 * the same bytes) and a peer stack (Express + express-openapi-validator on the same data), at
 * several store sizes, plus writes, upload memory and SSE fan-out; prints the tables and the
 * budgets, and writes everything to bench/results/<timestamp>.json.
 *
 * All traffic stays on 127.0.0.1, every load run is bounded in time or count, and every child
 * process is ended when the run ends, fails or is interrupted.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { type BenchPart, loadBenchConfig } from './config.ts'
import { resultsDir, serverMain } from './paths.ts'
import { runPostgresReads } from './pg/run-pg-reads.ts'
import { checkBudgets } from './report/budgets.ts'
import {
  renderBudgets,
  renderCpuTable,
  renderManyOwners,
  renderResultsTable,
  renderSearchTable,
  renderSse,
  renderUncachedTable,
  renderUploadMemory,
} from './report/render.ts'
import { renderOwnersOpen } from './report/render-owners-open.ts'
import type { BenchResults, ReadRow, ResultRow, SseResult, UploadMemory } from './report/results.ts'
import { installCleanup, onExit } from './runtime/child-processes.ts'
import { snapshotServerBuild } from './runtime/server-snapshot.ts'
import { runLongSessions } from './scenarios/long-sessions.ts'
import { runManyOwners } from './scenarios/many-owners.ts'
import { progress } from './scenarios/measure.ts'
import { runObservabilityCost } from './scenarios/observability-cost.ts'
import { runOwnersOpenLoop } from './scenarios/owners-open-loop.ts'
import { runReadsAtScale } from './scenarios/run-reads.ts'
import { runSearch } from './scenarios/run-search.ts'
import { runSharedLimiter } from './scenarios/shared-limiter.ts'
import { runSseFanout } from './scenarios/sse-fanout.ts'
import { measureUploadMemory } from './scenarios/upload-memory.ts'
import { runWrites } from './scenarios/write-scenarios.ts'
import { seedStore } from './seed/seed-store.ts'
import { startOurServer } from './targets/start-targets.ts'

async function main(): Promise<void> {
  installCleanup()
  const config = loadBenchConfig(process.env)
  const runs = (part: BenchPart) => config.only.includes(part)
  if (!existsSync(serverMain)) {
    throw new Error(`No production build at ${serverMain}: run pnpm --filter @uxmate/server build`)
  }
  const startedAt = new Date()
  const workDir = mkdtempSync(join(tmpdir(), 'uxmate-bench-'))
  // Gigabytes of SQLite at 1M sessions: never left behind.
  onExit(() => rmSync(workDir, { recursive: true, force: true }))
  const logDir = mkdtempSync(join(tmpdir(), 'uxmate-bench-logs-'))
  const main = snapshotServerBuild(workDir)
  const dataDir = join(workDir, 'data')
  const dbPath = join(dataDir, 'uxmate.sqlite')
  progress(
    `scales ${config.scales.join(', ')}; ${config.durationS} s a run, ${config.connections} connections; logs in ${logDir}`,
  )

  // The server migrates its own file; the seed then only fills the tables it made.
  await (await startOurServer({ main, dataDir, logDir })).stop()

  const rows: ResultRow[] = []
  const seeding: BenchResults['seeding'] = []
  const newest = Date.now() - 60_000
  let seeded = 0
  // Long conversations, many owners and search seed stores of their own.
  const readStore = (['reads', 'writes', 'upload', 'sse', 'observability'] as const).some(runs)
  for (const scale of readStore ? config.scales : []) {
    const report = seedStore(dbPath, {
      from: seeded,
      to: scale,
      newest,
      withTenMessageSession: seeded === 0,
    })
    seeding.push({ ...report, scale })
    progress(
      `seeded ${report.sessions.toLocaleString('en-US')} sessions, ${report.messages.toLocaleString('en-US')} messages in ${(report.ms / 1000).toFixed(1)} s (store: ${scale.toLocaleString('en-US')})`,
    )
    seeded = scale
    if (scale === config.scales[0] && runs('observability')) {
      // At the smallest scale, on copies: the creates add sessions the larger scales must not see.
      rows.push(
        ...(await runObservabilityCost({
          config,
          main,
          dataDir,
          logDir,
          workDir,
          seededSessions: scale,
        })),
      )
    }
    if (runs('reads')) {
      rows.push(
        ...(await runReadsAtScale({
          config,
          sessions: scale,
          main,
          dataDir,
          dbPath,
          workDir,
          logDir,
        })),
      )
    }
    if (scale === config.scales[0] && config.scales.length > 1 && runs('writes')) {
      // Writes at the smallest scale too, on a copy: they add and change sessions, and the
      // larger scales must read the same newest sessions as this one did.
      const copyDir = join(workDir, 'data-writes')
      cpSync(dataDir, copyDir, { recursive: true })
      const ours = await startOurServer({ main, dataDir: copyDir, logDir })
      try {
        rows.push(...(await runWrites({ config, ours, seededSessions: scale })))
      } finally {
        await ours.stop()
        rmSync(copyDir, { recursive: true, force: true })
      }
    }
  }
  if (config.pgScales.length > 0 && runs('reads')) {
    rows.push(
      ...(await runPostgresReads({
        config,
        main,
        newest,
        workDir,
        logDir,
        sqliteRows: rows.filter((row): row is ReadRow => row.kind === 'read'),
        seeding,
      })),
    )
  }

  let uploadMemory: UploadMemory | undefined
  let sse: SseResult = { status: 'skipped', note: 'not in BENCH_ONLY' }
  if (runs('writes')) {
    const ours = await startOurServer({ main, dataDir, logDir })
    try {
      rows.push(...(await runWrites({ config, ours, seededSessions: seeded })))
    } finally {
      await ours.stop()
    }
  }
  if (runs('upload')) {
    // A server of its own, fresh: one that ran the write scenarios has grown its heap and
    // caches already, so its "RSS before" would be high and an upload's growth look smaller.
    const ours = await startOurServer({ main, dataDir, logDir, role: 'upload server' })
    try {
      uploadMemory = await measureUploadMemory({ config, ours })
    } finally {
      await ours.stop()
    }
  }
  if (runs('long')) {
    const longDir = join(workDir, 'data-long')
    rows.push(...(await runLongSessions({ config, main, dataDir: longDir, logDir, workDir })))
    rmSync(longDir, { recursive: true, force: true })
  }
  let manyOwners: BenchResults['manyOwners']
  if (runs('owners')) {
    const measured = await runManyOwners({ config, main, workDir, logDir })
    rows.push(...measured.rows)
    manyOwners = measured.result
  }
  const ownersOpen = runs('owners-open')
    ? await runOwnersOpenLoop({ config, main, workDir, logDir })
    : undefined
  let sharedLimiter: BenchResults['sharedLimiter']
  if (runs('limiter')) {
    const measured = await runSharedLimiter({ config, main, workDir, logDir })
    rows.push(...measured.rows)
    sharedLimiter = { statementsPerRequest: measured.statementsPerRequest }
    for (const [batch, perRequest] of Object.entries(measured.statementsPerRequest))
      progress(`limiter, batch ${batch}: ${perRequest.toFixed(3)} PostgreSQL statements a request`)
  }
  if (runs('sse')) {
    sse = await runSseFanout({ config, main, dataDir, logDir })
    if (sse.status !== 'measured') progress(`SSE fan-out ${sse.status}: ${sse.note}`)
  }
  const search = runs('search') ? await runSearch({ config, main, workDir, logDir }) : undefined

  const cpuList = cpus()
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    config,
    seeding,
    rows,
    sse,
    ...(uploadMemory && { uploadMemory }),
    ...(manyOwners && { manyOwners }),
    ...(ownersOpen && { ownersOpen }),
    ...(sharedLimiter && { sharedLimiter }),
    ...(search && { search }),
  }
  const budgets = checkBudgets(results)
  mkdirSync(resultsDir, { recursive: true })
  const file = join(resultsDir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify({ ...results, budgets }, null, 2)}\n`)

  const out = [
    `Bench of ${results.startedAt} on ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}; best of ${config.rounds} rounds of ${config.durationS} s after ${config.warmupS} s warm-up, ${config.connections} connections.`,
    '',
    renderResultsTable(results),
    '',
    renderCpuTable(results),
    '',
    renderUncachedTable(results),
    '',
    renderUploadMemory(results),
    '',
    renderSse(results),
    '',
    renderManyOwners(results),
    '',
    renderOwnersOpen(results.ownersOpen),
    '',
    renderSearchTable(results),
    '',
    renderBudgets(budgets),
    '',
    `Results: ${file}`,
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(1)
  },
)
