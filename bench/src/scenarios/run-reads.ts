import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchConfig } from '../config.ts'
import type { ReadRow } from '../report/results.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import {
  type CapturedBodies,
  type CapturedResponse,
  replayedHeaders,
} from '../targets/captured-bodies.ts'
import { startLimitServer, startOurServer, startPeerServer } from '../targets/start-targets.ts'
import { describeRound, getSpec, measureInterleaved, progress } from './measure.ts'
import { readScenarios } from './read-scenarios.ts'

async function fetchResponse(baseUrl: string, path: string): Promise<CapturedResponse> {
  const response = await fetch(`${baseUrl}${path}`)
  const body = await response.text()
  if (response.status !== 200) {
    throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`)
  }
  return { body, headers: replayedHeaders(response.headers) }
}

/**
 * The read scenarios at one scale, each against our server (with and without its read cache),
 * the limit and the peer in turn.
 * The limit replays the answers our server gave just before; the peer must answer the same
 * bytes (checked, and flagged in the table when it does not).
 */
export async function runReadsAtScale(options: {
  config: BenchConfig
  sessions: number
  main: string
  dataDir: string
  dbPath: string
  workDir: string
  logDir: string
}): Promise<ReadRow[]> {
  const { config, sessions } = options
  const started: ServiceProcess[] = []
  // One server process opens a SQLite file (its writer lock): the server without the read cache
  // reads a copy of the same seeded file.
  const uncachedDir = join(options.workDir, 'data-uncached')
  try {
    cpSync(options.dataDir, uncachedDir, { recursive: true })
    const ours = await startOurServer({
      main: options.main,
      dataDir: options.dataDir,
      logDir: options.logDir,
    })
    started.push(ours)
    // Side by side over the same rows: what a read costs without its answer kept, i.e. the
    // store, the indexes and the JSON, at each scale.
    const uncached = await startOurServer({
      main: options.main,
      dataDir: uncachedDir,
      logDir: options.logDir,
      env: { READ_CACHE_BYTES: '0' },
      role: 'server without read cache',
    })
    started.push(uncached)

    const bodies: Record<string, CapturedResponse> = {}
    for (const scenario of readScenarios) {
      const response = await fetchResponse(ours.baseUrl, scenario.path)
      const problem = scenario.check(JSON.parse(response.body))
      if (problem) throw new Error(`${scenario.label} at ${sessions} sessions: ${problem}`)
      bodies[scenario.key] = response
    }
    const bodiesFile = join(options.workDir, `bodies-${sessions}.json`)
    writeFileSync(bodiesFile, JSON.stringify(bodies as unknown as CapturedBodies))

    const limit = await startLimitServer({ bodiesFile, logDir: options.logDir })
    started.push(limit)
    const peer = await startPeerServer({ dbPath: options.dbPath, logDir: options.logDir })
    started.push(peer)

    const rows: ReadRow[] = []
    for (const scenario of readScenarios) {
      const ourBody = bodies[scenario.key]?.body ?? ''
      const peerSameJson = (await fetchResponse(peer.baseUrl, scenario.path)).body === ourBody
      if (!peerSameJson) progress(`WARNING: the peer's ${scenario.key} body differs from ours`)
      if ((await fetchResponse(uncached.baseUrl, scenario.path)).body !== ourBody)
        throw new Error(`${scenario.key}: the answer kept by the read cache differs from a read`)
      const measured = await measureInterleaved(
        {
          ours: [ours, getSpec(ours.baseUrl, scenario.path, config)],
          uncached: [uncached, getSpec(uncached.baseUrl, scenario.path, config)],
          limit: [limit, getSpec(limit.baseUrl, scenario.path, config)],
          peer: [peer, getSpec(peer.baseUrl, scenario.path, config)],
        },
        config,
        (name, round, result) =>
          progress(
            `${sessions} sessions, ${scenario.key}, ${name} #${round + 1}: ${describeRound(result)}`,
          ),
      )
      rows.push({
        kind: 'read',
        scenario: scenario.key,
        label: scenario.label,
        store: 'SQLite',
        sessions,
        bodyBytes: Buffer.byteLength(ourBody),
        peerSameJson,
        ...measured,
      })
    }
    return rows
  } finally {
    for (const service of started.reverse()) await service.stop()
    rmSync(uncachedDir, { recursive: true, force: true })
  }
}
