import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@uxmate/test-postgres'
import type { BenchConfig } from '../config.ts'
import type { BenchResults, ReadRow } from '../report/results.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { describeRound, getSpec, measureInterleaved, progress } from '../scenarios/measure.ts'
import { readScenarios } from '../scenarios/read-scenarios.ts'
import type { CapturedBodies, CapturedResponse } from '../targets/captured-bodies.ts'
import { replayedHeaders } from '../targets/captured-bodies.ts'
import { startLimitServer, startOurServer } from '../targets/start-targets.ts'
import { seedPostgres } from './seed-postgres.ts'

/**
 * Every PostgreSQL row: starts an embedded PostgreSQL, lets the server migrate it, then per
 * scale (ascending) seeds the sessions up to it and runs the read scenarios. PostgreSQL is
 * stopped and its files deleted at the end, also when a step fails.
 */
export async function runPostgresReads(options: {
  config: BenchConfig
  main: string
  /** `updated_at` of session 0: the SQLite seed's, so that both stores hold the same rows. */
  newest: number
  workDir: string
  logDir: string
  sqliteRows: readonly ReadRow[]
  /** Where to add each scale's seeding report. */
  seeding: BenchResults['seeding']
}): Promise<ReadRow[]> {
  const { config } = options
  progress(`PostgreSQL: starting an embedded server for scales ${config.pgScales.join(', ')}`)
  // Twice PostgreSQL's default cache, for the seeded tables and their indexes.
  const postgres = await startEmbeddedPostgres({ settings: { shared_buffers: '256MB' } })
  const dataDir = join(options.workDir, 'data-pg')
  mkdirSync(dataDir, { recursive: true })
  try {
    const databaseUrl = await postgres.createDatabase('uxmate')
    // The server migrates the database at start; the seed then fills the tables it made.
    await (
      await startOurServer({
        main: options.main,
        dataDir,
        logDir: options.logDir,
        env: { DATABASE_URL: databaseUrl },
      })
    ).stop()
    const rows: ReadRow[] = []
    let seeded = 0
    for (const scale of config.pgScales) {
      const report = await seedPostgres(databaseUrl, {
        from: seeded,
        to: scale,
        newest: options.newest,
        withTenMessageSession: seeded === 0,
      })
      options.seeding.push({ ...report, scale, store: 'PostgreSQL' })
      progress(
        `PostgreSQL: seeded ${report.sessions.toLocaleString('en-US')} sessions, ${report.messages.toLocaleString('en-US')} messages in ${(report.ms / 1000).toFixed(1)} s (store: ${scale.toLocaleString('en-US')})`,
      )
      seeded = scale
      rows.push(
        ...(await runPostgresReadsAtScale({
          config,
          sessions: scale,
          main: options.main,
          databaseUrl,
          dataDir,
          workDir: options.workDir,
          logDir: options.logDir,
          sqliteRows: options.sqliteRows,
        })),
      )
    }
    return rows
  } finally {
    await postgres.stop()
    rmSync(dataDir, { recursive: true, force: true })
    progress('PostgreSQL: stopped and deleted')
  }
}

/**
 * The read scenarios at one scale on PostgreSQL: our server (`DATABASE_URL`), as deployed and
 * without its read cache, against the bare-Hono limit replaying its answers. The peer is SQLite-only: its figures are taken from
 * the SQLite row at the same scale (`sqliteRows`), when SQLite ran that scale; so is the check
 * that both stores answer the same bytes.
 */
export async function runPostgresReadsAtScale(options: {
  config: BenchConfig
  sessions: number
  main: string
  databaseUrl: string
  dataDir: string
  workDir: string
  logDir: string
  sqliteRows: readonly ReadRow[]
}): Promise<ReadRow[]> {
  const { config, sessions } = options
  const started: ServiceProcess[] = []
  try {
    const ours = await startOurServer({
      main: options.main,
      dataDir: options.dataDir,
      logDir: options.logDir,
      env: { DATABASE_URL: options.databaseUrl },
    })
    started.push(ours)
    // Every read queries PostgreSQL and builds its JSON, as the first read after a write does:
    // what the store path costs. A second instance on the same database, as deployed.
    const uncached = await startOurServer({
      main: options.main,
      dataDir: options.dataDir,
      logDir: options.logDir,
      env: { DATABASE_URL: options.databaseUrl, READ_CACHE_BYTES: '0' },
      role: 'PostgreSQL server without read cache',
    })
    started.push(uncached)

    const bodies: Record<string, CapturedResponse> = {}
    for (const scenario of readScenarios) {
      const response = await fetch(`${ours.baseUrl}${scenario.path}`)
      const body = await response.text()
      if (response.status !== 200) {
        throw new Error(`GET ${scenario.path} on PostgreSQL answered ${response.status}: ${body}`)
      }
      const problem = scenario.check(JSON.parse(body))
      if (problem) throw new Error(`${scenario.label} at ${sessions} on PostgreSQL: ${problem}`)
      bodies[scenario.key] = { body, headers: replayedHeaders(response.headers) }
    }
    const bodiesFile = join(options.workDir, `bodies-pg-${sessions}.json`)
    writeFileSync(bodiesFile, JSON.stringify(bodies as unknown as CapturedBodies))
    const sqliteFile = join(options.workDir, `bodies-${sessions}.json`)
    const sqliteBodies = existsSync(sqliteFile)
      ? (JSON.parse(readFileSync(sqliteFile, 'utf8')) as Record<string, CapturedResponse>)
      : undefined

    const limit = await startLimitServer({ bodiesFile, logDir: options.logDir })
    started.push(limit)

    const rows: ReadRow[] = []
    for (const scenario of readScenarios) {
      const ourBody = bodies[scenario.key]?.body ?? ''
      const sqliteBody = sqliteBodies?.[scenario.key]?.body
      const sameAsSqlite = sqliteBody === undefined ? undefined : sqliteBody === ourBody
      if (sameAsSqlite === false) {
        progress(`WARNING: the ${scenario.key} body on PostgreSQL differs from SQLite's`)
      }
      if ((await (await fetch(`${uncached.baseUrl}${scenario.path}`)).text()) !== ourBody)
        throw new Error(`${scenario.key} on PostgreSQL: the kept answer differs from a read`)
      const measured = await measureInterleaved(
        {
          ours: [ours, getSpec(ours.baseUrl, scenario.path, config)],
          uncached: [uncached, getSpec(uncached.baseUrl, scenario.path, config)],
          limit: [limit, getSpec(limit.baseUrl, scenario.path, config)],
        },
        config,
        (name, round, result) =>
          progress(
            `PostgreSQL, ${sessions} sessions, ${scenario.key}, ${name} #${round + 1}: ${describeRound(result)}`,
          ),
      )
      const sqlite = options.sqliteRows.find(
        (row) => row.scenario === scenario.key && row.sessions === sessions,
      )
      rows.push({
        kind: 'read',
        scenario: scenario.key,
        label: scenario.label,
        store: 'PostgreSQL',
        sessions,
        bodyBytes: Buffer.byteLength(ourBody),
        ...(sameAsSqlite !== undefined && { peerSameJson: sameAsSqlite }),
        ...(sqlite?.peer && { peer: sqlite.peer }),
        ...measured,
      })
    }
    return rows
  } finally {
    for (const service of started.reverse()) await service.stop()
  }
}
