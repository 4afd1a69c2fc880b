/**
 * What metrics and traces cost: the same kept read and the same create against three servers on
 * copies of one store, interleaved round by round, with observability off, with metrics
 * (`METRICS_PORT`) and with metrics and traces (an OTLP endpoint: a sink in this process that
 * takes every export and answers it as a collector would). Every request is traced (the
 * default sampler), the worst case; after the rounds each server's metrics are scraped and the
 * sink's exports counted, so a mode that silently did nothing fails the part.
 */
import { cpSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import getPort from 'get-port'
import type { BenchConfig } from '../config.ts'
import type { BodySpec, LoadSpec } from '../load/load-spec.ts'
import type { WriteRow } from '../report/results.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { TEN_MESSAGE_SESSION_ID } from '../seed/seed-ids.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { describeRound, measureInterleaved, progress } from './measure.ts'

const MODES = ['off', 'metrics', 'traces'] as const
type Mode = (typeof MODES)[number]

const MODE_LABELS: Record<Mode, string> = {
  off: 'observability off',
  metrics: 'metrics',
  traces: 'metrics + traces',
}

/** An OTLP/HTTP endpoint that takes every export (an empty protobuf answer is a success). */
function startOtlpSink(): Promise<{ server: Server; exports: () => number; bytes: () => number }> {
  let exports = 0
  let bytes = 0
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    request.on('end', () => {
      if (request.url === '/v1/traces') exports += 1
      response.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end()
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, exports: () => exports, bytes: () => bytes }),
    ),
  )
}

const prompt: BodySpec = {
  kind: 'multipart',
  fields: { agent_id: 'echo', text_prompt: 'Summarise the interview notes from Tuesday.' },
  files: [],
}

/** A counter's total over its label sets in a scrape. */
function total(scrape: string, name: string, labels: string): number {
  return scrape
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

/**
 * Measures the kept read and the create in the three modes, on copies of `dataDir` (seeded,
 * with the 10-message session), and returns one row per scenario and mode.
 */
export async function runObservabilityCost(options: {
  config: BenchConfig
  main: string
  dataDir: string
  logDir: string
  workDir: string
  seededSessions: number
}): Promise<WriteRow[]> {
  const { config, main, logDir } = options
  const sink = await startOtlpSink()
  const servers = {} as Record<Mode, ServiceProcess>
  const metricsPorts = {} as Partial<Record<Mode, number>>
  const dirs: string[] = []
  const rows: WriteRow[] = []
  try {
    for (const mode of MODES) {
      const dataDir = `${options.workDir}/data-observability-${mode}`
      cpSync(options.dataDir, dataDir, { recursive: true })
      dirs.push(dataDir)
      const env: Record<string, string> = {}
      if (mode !== 'off') {
        const port = await getPort({ host: '127.0.0.1' })
        metricsPorts[mode] = port
        env.METRICS_PORT = String(port)
      }
      if (mode === 'traces') {
        env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}`
        env.OTEL_SERVICE_NAME = 'uxmate-bench'
      }
      servers[mode] = await startOurServer({
        main,
        dataDir,
        logDir,
        role: `observability ${mode} server`,
        env,
      })
    }
    const scenarios: Array<{
      scenario: string
      label: string
      spec: Omit<LoadSpec, 'baseUrl' | 'connections' | 'durationS' | 'warmupS' | 'timeoutS'>
    }> = [
      {
        scenario: 'kept-read',
        label: 'GET /sessions/{id} (10 messages, kept)',
        spec: { method: 'GET', path: `/sessions/${TEN_MESSAGE_SESSION_ID}` },
      },
      {
        scenario: 'create',
        label: 'POST /sessions/text, waiting',
        spec: { method: 'POST', path: '/sessions/text', body: prompt },
      },
    ]
    for (const { scenario, label, spec } of scenarios) {
      const specOf = (mode: Mode): LoadSpec => ({
        ...spec,
        baseUrl: servers[mode].baseUrl,
        connections: config.connections,
        durationS: config.durationS,
        warmupS: config.warmupS,
        timeoutS: 30,
      })
      const measured = await measureInterleaved(
        {
          off: [servers.off, specOf('off')],
          metrics: [servers.metrics, specOf('metrics')],
          traces: [servers.traces, specOf('traces')],
        },
        config,
        (mode, round, result) =>
          progress(`observability, ${scenario} ${mode} #${round + 1}: ${describeRound(result)}`),
      )
      for (const mode of MODES)
        rows.push({
          kind: 'write',
          scenario: `observability-${scenario}-${mode}`,
          label: `${label}, ${MODE_LABELS[mode]}`,
          store: 'SQLite',
          sessions: options.seededSessions,
          ours: measured[mode],
        })
    }
    // Each mode did what it says: the metrics counted the requests, the traces were exported.
    for (const mode of ['metrics', 'traces'] as const) {
      const scrape = await (await fetch(`http://127.0.0.1:${metricsPorts[mode]}/metrics`)).text()
      const reads = total(
        scrape,
        'uxmate_http_request_duration_seconds_count',
        'operation="get_session"',
      )
      const runs = total(scrape, 'uxmate_runs_ended_total', 'outcome="completed"')
      if (reads === 0 || runs === 0)
        throw new Error(`the ${mode} server counted ${reads} reads and ${runs} runs`)
      progress(`observability, ${mode}: counted ${reads} kept reads and ${runs} completed runs`)
    }
  } finally {
    for (const mode of MODES) await servers[mode]?.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    await new Promise((resolve) => sink.server.close(resolve))
  }
  // The traced server's last spans are sent as it stops.
  if (sink.exports() === 0) throw new Error('the traced server exported no spans')
  progress(
    `observability, traces: ${sink.exports()} OTLP exports, ${(sink.bytes() / 2 ** 20).toFixed(1)} MiB`,
  )
  return rows
}
