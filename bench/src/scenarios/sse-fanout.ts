import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import type { BenchConfig } from '../config.ts'
import type { SseReply, SseSpec } from '../load/sse-spec.ts'
import { benchDir, benchEntry, openapiPath } from '../paths.ts'
import type { SseResult } from '../report/results.ts'
import { stopChild, track } from '../runtime/child-processes.ts'
import { seedSessionId } from '../seed/seed-ids.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { progress } from './measure.ts'

/** The route the SSE scenario needs; measured only once openapi.yaml has it. */
export const EVENTS_PATH = '/sessions/{session_id}/events'

/** Does the contract, as it is now, have `GET /sessions/{session_id}/events`? */
export function contractHasEvents(yamlText = readFileSync(openapiPath, 'utf8')): boolean {
  const document = parse(yamlText) as { paths?: Record<string, { get?: unknown }> }
  return document.paths?.[EVENTS_PATH]?.get !== undefined
}

/**
 * SSE fan-out: one run whose reply streams word by word (ECHO_DELAY_MS=10, 800 words: about
 * 8 s), N subscribers on its events. Skipped, and said so, while the contract has no events
 * route.
 */
export async function runSseFanout(options: {
  config: BenchConfig
  dataDir: string
  logDir: string
}): Promise<SseResult> {
  if (!contractHasEvents()) {
    return { status: 'skipped', note: `GET ${EVENTS_PATH} is not in openapi.yaml yet` }
  }
  const { config } = options
  const ours = await startOurServer({
    dataDir: options.dataDir,
    logDir: options.logDir,
    env: { ECHO_DELAY_MS: '10' },
  })
  const child = track(
    fork(benchEntry('load/sse-worker.ts'), [], {
      cwd: benchDir,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  try {
    const spec: SseSpec = {
      baseUrl: ours.baseUrl,
      eventsPath: EVENTS_PATH,
      // A seeded session the write scenarios did not continue last.
      sessionId: seedSessionId(1),
      subscribers: config.sseSubscribers,
      prompt: Array.from({ length: 800 }, (_, i) => `word${i}`).join(' '),
      timeoutS: 60,
    }
    const reply = await new Promise<SseReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SSE load process timed out')), 90_000)
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
    if (!reply.ok) return { status: 'failed', note: reply.error, subscribers: spec.subscribers }
    const { outcome } = reply
    progress(`SSE: ${outcome.connected}/${spec.subscribers} connected, ${outcome.events} events`)
    const failed = Object.entries(outcome.failures)
    return {
      status: outcome.events > 0 ? 'measured' : 'failed',
      note:
        (outcome.events > 0 ? '' : 'no event arrived after every subscriber was connected. ') +
        (failed.length > 0 ? `failures: ${JSON.stringify(outcome.failures)}` : ''),
      subscribers: spec.subscribers,
      connected: outcome.connected,
      events: outcome.events,
      deliveryMs: outcome.deliveryMs,
    }
  } catch (error) {
    return { status: 'failed', note: error instanceof Error ? error.message : String(error) }
  } finally {
    await stopChild(child, 'SIGKILL', 1_000)
    await ours.stop()
  }
}
