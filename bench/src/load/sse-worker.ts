/**
 * The SSE load process: starts one streaming run, subscribes N clients to its events and
 * records when each client receives each event.
 *
 * Two latencies per delta and subscriber, as the wire carries no emit time:
 * - lag: arrival behind the run's schedule. The echo agent writes word `i` at
 *   `start + (i + 1) × eventEveryMs` on the server's monotonic clock, however late the previous
 *   one went out (an LLM's tokens arrive at the provider's pace, not ours), so the deltas are due
 *   exactly `eventEveryMs` apart; the least-late delta of the run fixes where the schedule
 *   starts (its lag is 0). Lag is then everything between a token being due and the subscriber
 *   reading it: the server's event loop waking the agent late, numbering and publishing the
 *   event, writing it to the streams before this one, and this process (one for all the
 *   subscribers) getting to the socket. What a user sees: how far the text on screen is behind
 *   the agent. The least-late delta's own path (a millisecond or so of timer, publish and
 *   loopback on a quiet server) is the zero, not counted.
 * - spread: arrival after the delta's first arrival at any subscriber: what fan-out alone adds.
 * Only deltas first seen after the last subscriber connected count.
 *
 * For its first 3 s the run has one subscriber: the pace it sees then is reported as a check
 * (it should be `eventEveryMs`), not used.
 *
 * The first subscriber follows the run from its start; the others join as clients resuming a
 * stream do, with the last event id seen so far as `Last-Event-ID`. Otherwise each of the 999
 * would first be sent the whole run so far, and the bench would measure that replay storm
 * instead of the fan-out of live events.
 */
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Samples, summarize } from '../report/percentiles.ts'
import { answerOnce } from './answer-once.ts'
import { ChunkedDecoder } from './chunked-decoder.ts'
import type { LatencySummary } from './load-spec.ts'
import { SseParser } from './sse-parser.ts'
import type { SseOutcome, SseReply, SseSpec } from './sse-spec.ts'

interface Arrivals {
  id: number
  times: number[]
}

/** How long the first subscriber follows the run alone: its pace then is the unloaded one. */
const CALIBRATION_MS = 3_000

/** Milliseconds per delta, from the first and last of the deltas seen alone; needs 10. */
function paceOf(seen: { id: number; at: number }[]): number | undefined {
  if (seen.length < 10) return undefined
  const sorted = [...seen].sort((a, b) => a.id - b.id)
  const first = sorted[0]
  const last = sorted[sorted.length - 1]
  if (!first || !last || last.id === first.id) return undefined
  return (last.at - first.at) / (last.id - first.id)
}

function latencySummary(samples: Samples): LatencySummary {
  const { mean, p50, p90, p99, max } = summarize(samples.values())
  return { mean, p50, p90, p99, max }
}

async function runSse(spec: SseSpec): Promise<SseOutcome> {
  const cpuAtStart = process.cpuUsage()
  const deadline = Date.now() + spec.timeoutS * 1000
  const started = await fetch(`${spec.baseUrl}/sessions/${spec.sessionId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ text_prompt: spec.prompt }),
  })
  await started.arrayBuffer()
  if (started.status >= 300) throw new Error(`PUT to start the run answered ${started.status}`)
  const runStartedAt = performance.now()

  const url = new URL(spec.eventsPath.replace('{session_id}', spec.sessionId), spec.baseUrl)
  const deltas = new Map<number, Arrivals>()
  const failures: Record<string, number> = {}
  const fail = (reason: string) => {
    failures[reason] = (failures[reason] ?? 0) + 1
  }
  const sockets: Socket[] = []
  let connected = 0
  let open = 0
  let latestId: number | undefined
  let resolveEnded: () => void = () => undefined
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve
  })
  const closeOne = () => {
    open -= 1
    if (open === 0) resolveEnded()
  }

  /** What one subscriber received, from its first byte; handles the head, then the body. */
  const receive = (socket: Socket, connectedNow: () => void) => {
    let head: Buffer | undefined = Buffer.alloc(0)
    const body = new ChunkedDecoder()
    const parser = new SseParser()
    return (chunk: Buffer) => {
      const now = performance.now()
      let rest = chunk
      if (head) {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        const [statusLine = '', ...fields] = head.toString('latin1', 0, end).split('\r\n')
        rest = head.subarray(end + 4)
        head = undefined
        connectedNow()
        const status = statusLine.split(' ')[1]
        const field = (name: string) =>
          fields.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1)
        const type = field('content-type')?.trim() ?? ''
        if (status !== '200' || !type.startsWith('text/event-stream')) {
          fail(`status ${status} ${type}`)
          socket.destroy()
          return
        }
        if (field('transfer-encoding')?.trim().toLowerCase() !== 'chunked') {
          fail('not chunked')
          socket.destroy()
          return
        }
        connected += 1
      }
      // Ids and event names are ASCII: latin1 reads them whatever the bytes around them.
      for (const piece of body.push(rest)) {
        for (const event of parser.push(piece.toString('latin1'))) {
          if (event.id === undefined) continue
          const id = Number(event.id)
          if (latestId === undefined || id > latestId) latestId = id
          if (event.event !== 'message.delta') continue
          const arrivals = deltas.get(id)
          if (arrivals) arrivals.times.push(now)
          else deltas.set(id, { id, times: [now] })
        }
      }
      if (body.done) socket.end()
    }
  }

  // Raw sockets rather than Node's HTTP client: this one process reads every subscriber's
  // stream, and its own cost per event delays the arrivals it measures.
  const subscribe = () =>
    new Promise<void>((resolveConnected) => {
      open += 1
      const lastEventId = latestId === undefined ? '' : `Last-Event-ID: ${latestId}\r\n`
      const socket = connect({ host: url.hostname, port: Number(url.port) })
      socket.setNoDelay(true)
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n${lastEventId}\r\n`,
      )
      const onData = receive(socket, resolveConnected)
      socket.on('data', (chunk: Buffer) => {
        try {
          onData(chunk)
        } catch (error) {
          fail(error instanceof Error ? error.message : String(error))
          socket.destroy()
        }
      })
      socket.on('error', (error) => fail(error.message))
      socket.once('close', () => {
        resolveConnected()
        closeOne()
      })
      sockets.push(socket)
    })

  await subscribe()
  // One subscriber alone first: the run's own pace, with nothing else to serve.
  await sleep(CALIBRATION_MS)
  const calibration = [...deltas.values()].map(({ id, times }) => ({ id, at: times[0] ?? 0 }))
  // In batches, so that the listen backlog (511 by default) never drops a connection attempt.
  for (let i = 1; i < spec.subscribers && Date.now() < deadline; i += 100) {
    const batch = Math.min(100, spec.subscribers - i)
    await Promise.all(Array.from({ length: batch }, subscribe))
  }
  const allConnectedAt = performance.now()

  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, deadline - Date.now()))])
  for (const socket of sockets) socket.destroy()

  const all = [...deltas.values()].map(({ id, times }) => ({
    id,
    times,
    first: Math.min(...times),
  }))
  const firstId = Math.min(...all.map((delta) => delta.id))
  const due = (id: number) => (id - firstId) * spec.eventEveryMs
  const t0 = Math.min(...all.map((delta) => delta.first - due(delta.id)))
  const lag = new Samples()
  const spread = new Samples()
  let events = 0
  for (const delta of all) {
    if (delta.first < allConnectedAt) continue
    events += 1
    for (const time of delta.times) {
      lag.push(time - (t0 + due(delta.id)))
      spread.push(time - delta.first)
    }
  }
  const cpu = process.cpuUsage(cpuAtStart)
  return {
    connected,
    connectMs: allConnectedAt - runStartedAt,
    paceMs: paceOf(calibration) ?? spec.eventEveryMs,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    deliveries: lag.length,
    events,
    lagMs: latencySummary(lag),
    spreadMs: latencySummary(spread),
    failures,
  }
}

answerOnce<SseSpec, SseReply>(async (spec) => ({ ok: true, outcome: await runSse(spec) }))
