import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import type { BenchConfig } from '../config.ts'
import type { SseReply, SseSpec } from '../load/sse-spec.ts'
import { benchDir, benchEntry, openapiPath } from '../paths.ts'
import type { SseResult } from '../report/results.ts'
import { stopChild, track } from '../runtime/child-processes.ts'
import { ProcessSampler } from '../runtime/proc-stats.ts'
import { seedSessionId } from '../seed/seed-ids.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { progress } from './measure.ts'

/** The route the SSE scenario needs; measured only once openapi.yaml has it. */
export const EVENTS_PATH = '/sessions/{session_id}/events'

/** How long the streamed run lasts: long enough to connect every subscriber and then measure. */
const RUN_MS = 30_000

/** Does the contract, as it is now, have `GET /sessions/{session_id}/events`? */
export function contractHasEvents(yamlText = readFileSync(openapiPath, 'utf8')): boolean {
  const document = parse(yamlText) as { paths?: Record<string, { get?: unknown }> }
  return document.paths?.[EVENTS_PATH]?.get !== undefined
}

function ask(child: ReturnType<typeof fork>, spec: SseSpec, timeoutMs: number): Promise<SseReply> {
  return new Promise<SseReply>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('SSE load process timed out')), timeoutMs)
    child.once('message', (message) => {
      clearTimeout(timer)
      resolve(message as SseReply)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`SSE load process exited (code ${code}) without a result`))
    })
    child.send(spec)
  })
}

/**
 * SSE fan-out: one run whose reply streams a word every `sseEventMs` (the server's
 * ECHO_DELAY_MS) for 30 s, and N subscribers on its events. They connect after the run has
 * started (the contract ends a stream at once when no run is in progress), so each first gets
 * the run's events so far; only the events first seen after the last one connected are
 * measured. Skipped, and said so, while the contract has no events route.
 */
export async function runSseFanout(options: {
  config: BenchConfig
  main: string
  dataDir: string
  logDir: string
}): Promise<SseResult> {
  if (!contractHasEvents()) {
    return { status: 'skipped', note: `GET ${EVENTS_PATH} is not in openapi.yaml yet` }
  }
  const { config } = options
  const ours = await startOurServer({
    main: options.main,
    dataDir: options.dataDir,
    logDir: options.logDir,
    env: { ECHO_DELAY_MS: String(config.sseEventMs) },
  })
  const child = track(
    fork(benchEntry('load/sse-worker.ts'), [], {
      cwd: benchDir,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  const sampler = new ProcessSampler(ours.pid)
  try {
    const words = Math.ceil(RUN_MS / config.sseEventMs)
    const spec: SseSpec = {
      baseUrl: ours.baseUrl,
      eventsPath: EVENTS_PATH,
      // A seeded session: Ready or Flushed, whatever the write scenarios did to it.
      sessionId: seedSessionId(1),
      subscribers: config.sseSubscribers,
      prompt: Array.from({ length: words }, (_, i) => `word${i}`).join(' '),
      eventEveryMs: config.sseEventMs,
      timeoutS: 120,
    }
    sampler.start()
    const startedAt = performance.now()
    const reply = await ask(child, spec, 150_000)
    const server = sampler.stop()
    const wallSeconds = (performance.now() - startedAt) / 1000
    if (!reply.ok) return { status: 'failed', note: reply.error, subscribers: spec.subscribers }
    const { outcome } = reply
    progress(
      `SSE: ${outcome.connected}/${spec.subscribers} connected in ${(outcome.connectMs / 1000).toFixed(1)} s, ` +
        `${outcome.events} deltas measured, p99 lag ${outcome.lagMs.p99?.toFixed(1)} ms, ` +
        `p99 spread ${outcome.spreadMs.p99?.toFixed(1)} ms; ` +
        `CPU server ${server.cpuSeconds.toFixed(1)} s, subscribers ${outcome.clientCpuSeconds.toFixed(1)} s`,
    )
    const failed = Object.entries(outcome.failures)
    return {
      status: outcome.events > 0 ? 'measured' : 'failed',
      note:
        (outcome.events > 0
          ? ''
          : 'the run ended before every subscriber was connected: nothing left to measure. ') +
        (failed.length > 0 ? `failures: ${JSON.stringify(outcome.failures)}` : ''),
      subscribers: spec.subscribers,
      connected: outcome.connected,
      connectMs: outcome.connectMs,
      events: outcome.events,
      deliveries: outcome.deliveries,
      eventEveryMs: config.sseEventMs,
      paceMs: outcome.paceMs,
      serverCpuSeconds: server.cpuSeconds,
      clientCpuSeconds: outcome.clientCpuSeconds,
      wallSeconds,
      lagMs: outcome.lagMs,
      spreadMs: outcome.spreadMs,
    }
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) }
  } finally {
    sampler.stop()
    await stopChild(child, 'SIGKILL', 1_000)
    await ours.stop()
  }
}
