/**
 * The SSE load process: starts one streaming run, subscribes N clients to its events and
 * records when each client receives each event. Delivery latency of an event at a subscriber
 * is its arrival there minus its first arrival at any subscriber: exact for what fan-out adds,
 * and a lower bound of the latency from the agent, whose emit time the wire does not carry.
 * Only events first seen after the last subscriber connected count, so that a replay of what
 * happened before a client connected is not mistaken for slow delivery.
 */
import { type ClientRequest, request } from 'node:http'
import { Samples, summarize } from '../report/percentiles.ts'
import { SseParser } from './sse-parser.ts'
import type { SseOutcome, SseReply, SseSpec } from './sse-spec.ts'

async function runSse(spec: SseSpec): Promise<SseOutcome> {
  const deadline = Date.now() + spec.timeoutS * 1000
  const started = await fetch(`${spec.baseUrl}/sessions/${spec.sessionId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ text_prompt: spec.prompt }),
  })
  await started.arrayBuffer()
  if (started.status >= 300) throw new Error(`PUT to start the run answered ${started.status}`)

  const url = new URL(spec.eventsPath.replace('{session_id}', spec.sessionId), spec.baseUrl)
  const arrivals = new Map<string, number[]>()
  const failures: Record<string, number> = {}
  const fail = (reason: string) => {
    failures[reason] = (failures[reason] ?? 0) + 1
  }
  const requests: ClientRequest[] = []
  let connected = 0
  let open = 0
  let allConnectedAt = Number.POSITIVE_INFINITY
  let resolveEnded: () => void = () => undefined
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve
  })
  const closeOne = () => {
    open -= 1
    if (open === 0) resolveEnded()
  }

  const subscribe = () =>
    new Promise<void>((resolveConnected) => {
      open += 1
      const req = request(
        url,
        { headers: { accept: 'text/event-stream' }, agent: false },
        (res) => {
          resolveConnected()
          const type = res.headers['content-type'] ?? ''
          if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
            fail(`status ${res.statusCode} ${type}`)
            res.resume()
            res.once('close', closeOne)
            return
          }
          connected += 1
          const parser = new SseParser()
          let ordinal = 0
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            const now = performance.now()
            for (const event of parser.push(chunk)) {
              const key = event.id ?? `#${ordinal}`
              ordinal += 1
              const list = arrivals.get(key)
              if (list) list.push(now)
              else arrivals.set(key, [now])
            }
          })
          res.once('close', closeOne)
        },
      )
      req.on('error', (error) => {
        resolveConnected()
        fail(error.message)
        closeOne()
      })
      req.end()
      requests.push(req)
    })

  // In batches, so that the listen backlog (511 by default) never drops a connection attempt.
  for (let i = 0; i < spec.subscribers && Date.now() < deadline; i += 100) {
    const batch = Math.min(100, spec.subscribers - i)
    await Promise.all(Array.from({ length: batch }, subscribe))
  }
  allConnectedAt = performance.now()

  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, deadline - Date.now()))])
  for (const req of requests) req.destroy()

  const delivery = new Samples()
  let events = 0
  for (const times of arrivals.values()) {
    const first = Math.min(...times)
    if (first < allConnectedAt) continue
    events += 1
    for (const time of times) delivery.push(time - first)
  }
  const summary = summarize(delivery.values())
  return {
    connected,
    events,
    deliveryMs: {
      mean: summary.mean,
      p50: summary.p50,
      p90: summary.p90,
      p99: summary.p99,
      max: summary.max,
    },
    failures,
  }
}

process.once('message', (spec: SseSpec) => {
  const send = (reply: SseReply) => process.send?.(reply, () => process.exit(0))
  runSse(spec).then(
    (outcome) => send({ ok: true, outcome }),
    (error: unknown) =>
      send({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  )
})
