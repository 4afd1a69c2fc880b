/**
 * `pnpm --filter @uxmate/bench capacity`: what one PostgreSQL takes from N instances of ours,
 * the figures `docs/scaling.md` builds its capacity model on. For N = 1, 2 and 4 instances on
 * one embedded PostgreSQL 18 with production durability (`fsync`, `synchronous_commit` on),
 * it loads every instance at once with `POST /sessions/text` (`Prefer: respond-async`, the
 * echo agent: a create, a run, its events, its end) and reports, per second: turns, commits
 * (`pg_stat_database`), NOTIFY events (counted by a listener of its own), and the CPU of
 * PostgreSQL's processes and of our instances per turn; then the connections PostgreSQL holds
 * (`pg_stat_activity`). Everything stays on 127.0.0.1; each load run is bounded in time.
 *
 * `CAPACITY_INSTANCES=1,2,4`, `CAPACITY_DURATION_S=8`, `CAPACITY_CONNECTIONS=32` (in all,
 * shared among the instances); `CAPACITY_DURABLE=0` for the tests' settings (no fsync).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@uxmate/test-postgres'
import pg from 'pg'
import { runLoad } from '../load/run-load.ts'
import { serverMain } from '../paths.ts'
import { installCleanup } from '../runtime/child-processes.ts'
import { readProcCpuSeconds } from '../runtime/proc-stats.ts'
import { snapshotServerBuild } from '../runtime/server-snapshot.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { progress } from '../scenarios/measure.ts'
import { startOurServer } from '../targets/start-targets.ts'

const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback).split(',').map((item) => Number(item.trim()))
const instanceCounts = list('CAPACITY_INSTANCES', '1,2,4')
const durationS = Number(process.env.CAPACITY_DURATION_S ?? 8)
const connections = Number(process.env.CAPACITY_CONNECTIONS ?? 32)

/** The channel run events are announced on (`storage/postgres/pg-run-events.ts`). */
const EVENTS_CHANNEL = 'uxmate_run_events'

interface Sample {
  commits: number
  cpu: Map<number, number>
}

/** Commits so far, and the CPU seconds of each PostgreSQL process (backends and the rest). */
async function sample(admin: pg.Client): Promise<Sample> {
  const { rows } = await admin.query<{ commits: string }>(
    'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
  )
  const pids = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity')
  const cpu = new Map<number, number>()
  for (const { pid } of pids.rows) {
    const seconds = readProcCpuSeconds(pid)
    if (seconds !== undefined) cpu.set(pid, seconds)
  }
  return { commits: Number(rows[0]?.commits ?? 0), cpu }
}

/** CPU seconds PostgreSQL's processes spent between two samples (those alive at both). */
function cpuBetween(before: Sample, after: Sample): number {
  let total = 0
  for (const [pid, seconds] of after.cpu) total += seconds - (before.cpu.get(pid) ?? seconds)
  return total
}

async function measure(url: string, count: number, main: string, workDir: string) {
  const logDir = join(workDir, `logs-${count}`)
  mkdirSync(logDir, { recursive: true })
  const servers: ServiceProcess[] = []
  const listener = new pg.Client({ connectionString: url })
  const admin = new pg.Client({ connectionString: url })
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = join(workDir, `data-${count}-${i}`)
      mkdirSync(dataDir, { recursive: true })
      servers.push(
        await startOurServer({
          main,
          dataDir,
          logDir,
          env: { DATABASE_URL: url },
          role: `instance ${i + 1} of ${count}`,
        }),
      )
    }
    await listener.connect()
    await admin.connect()
    let events = 0
    listener.on('notification', () => {
      events++
    })
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`)
    const spec = (server: ServiceProcess, warmupS: number, seconds: number) => ({
      baseUrl: server.baseUrl,
      method: 'POST' as const,
      path: '/sessions/text',
      headers: { prefer: 'respond-async' },
      body: {
        kind: 'multipart' as const,
        fields: { agent_id: 'echo', text_prompt: 'Summarise the interview notes from Tuesday.' },
        files: [],
      },
      connections: Math.max(1, Math.round(connections / count)),
      durationS: seconds,
      warmupS,
      timeoutS: 30,
    })
    // Warm: every pool open, the JIT done.
    await Promise.all(servers.map((server) => runLoad(spec(server, 0, 2))))
    const before = await sample(admin)
    const ours = servers.map((server) => readProcCpuSeconds(server.pid) ?? 0)
    events = 0
    const started = performance.now()
    const results = await Promise.all(servers.map((server) => runLoad(spec(server, 0, durationS))))
    const seconds = (performance.now() - started) / 1000
    // Runs still ending announce their last events.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = await sample(admin)
    const oursCpu = servers.reduce(
      (sum, server, i) => sum + ((readProcCpuSeconds(server.pid) ?? 0) - (ours[i] ?? 0)),
      0,
    )
    const turns = results.reduce((sum, result) => sum + result.ok, 0)
    const rejected = results.reduce(
      (sum, result) => sum + Object.values(result.rejected).reduce((a, b) => a + b, 0),
      0,
    )
    const connectionsHeld = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'uxmate-sessions'`,
    )
    return {
      instances: count,
      turnsPerS: turns / seconds,
      rejected,
      commitsPerS: (after.commits - before.commits) / seconds,
      eventsPerS: events / seconds,
      postgresCpuUsPerTurn: (cpuBetween(before, after) * 1e6) / turns,
      oursCpuUsPerTurn: (oursCpu * 1e6) / turns,
      p99Ms: Math.max(...results.map((result) => result.latencyMs.p99)),
      connections: Number(connectionsHeld.rows[0]?.n ?? 0),
    }
  } finally {
    await listener.end().catch(() => {})
    await admin.end().catch(() => {})
    for (const server of servers.reverse()) await server.stop()
  }
}

async function main(): Promise<void> {
  installCleanup()
  const workDir = mkdtempSync(join(tmpdir(), 'uxmate-capacity-'))
  if (!existsSync(serverMain)) throw new Error(`No production build at ${serverMain}`)
  const main = snapshotServerBuild(workDir)
  const durable = process.env.CAPACITY_DURABLE !== '0'
  const postgres = await startEmbeddedPostgres({
    settings: {
      ...(durable && { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' }),
      shared_buffers: '256MB',
    },
  })
  let done = false
  try {
    const rows = []
    for (const count of instanceCounts) {
      const url = await postgres.createDatabase(`capacity_${count}`)
      progress(`capacity: ${count} instance(s), ${connections} connections in all, ${durationS} s`)
      const row = await measure(url, count, main, workDir)
      progress(JSON.stringify(row))
      rows.push(row)
    }
    console.log(
      '| instances | turns/s | commits/s | NOTIFY events/s | PostgreSQL CPU µs/turn | ours CPU µs/turn | p99 ms | connections held |',
    )
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const row of rows)
      console.log(
        `| ${row.instances} | ${row.turnsPerS.toFixed(0)} | ${row.commitsPerS.toFixed(0)} | ${row.eventsPerS.toFixed(0)} | ${row.postgresCpuUsPerTurn.toFixed(0)} | ${row.oursCpuUsPerTurn.toFixed(0)} | ${row.p99Ms.toFixed(1)} | ${row.connections} |`,
      )
    done = true
  } finally {
    await postgres.stop()
    // The servers' logs stay after a failure.
    if (done) rmSync(workDir, { recursive: true, force: true })
    else progress(`capacity: failed; logs in ${workDir}`)
  }
}

await main()
