/**
 * The open-loop load process (issue 21's many owners): follows an {@link OwnerSchedule}, sending
 * each request when it is due whatever the answers before it did, and times it from its due
 * time. A server that falls behind then shows it as latency (the requests wait in this
 * process's socket pools, behind the ones the server has not answered), not as fewer requests
 * (coordinated omission, what a closed loop of N connections hides).
 *
 * - A poll: `GET pollPath` as the owner, with the `ETag` of its last poll as `If-None-Match`.
 * - A turn of an owner that does not stream: `POST /sessions/text` (a new session, one turn in
 *   `newSessionEvery`) or `PUT /sessions/{id}` (its latest), `Prefer: respond-async`, timed to
 *   the `202`.
 * - A turn of an owner that streams: the same on `streamAgent`, then `GET
 *   /sessions/{id}/events` on the next instance (a run is followed across instances), timed
 *   from the turn's due time to its first `message.delta`, and read to its end.
 */
import { Agent, request } from 'node:http'
import { Samples, summarize } from '../report/percentiles.ts'
import { benchOwnerKey } from '../seed/seed-rows.ts'
import { answerOnce } from './answer-once.ts'
import type { LatencySummary } from './load-spec.ts'
import {
  MEASURING,
  type OpenLoopKind,
  type OpenLoopReply,
  type OpenLoopResult,
  type OpenLoopSpec,
} from './open-loop-spec.ts'
import { OwnerSchedule, streams, type Visit } from './owner-schedule.ts'
import { encodeBody } from './request-body.ts'
import { SseParser } from './sse-parser.ts'

const PROMPT = 'Summarise the interview notes from Tuesday.'

interface Answer {
  status: number
  etag?: string
  body: string
}

/** Counts of one kind of request, and its latencies from due. */
class Tally {
  sent = 0
  ok = 0
  notModified = 0
  failed = 0
  /** Body bytes of the 200 answers (a 304 has none): what a kept answer weighs. */
  fullBytes = 0
  /** Sent and not yet answered nor failed. */
  open = 0
  readonly rejected: Record<string, number> = {}
  readonly latency = new Samples()

  answered(status: number, ms: number): boolean {
    if ((status >= 200 && status < 300) || status === 304) {
      this.ok += 1
      if (status === 304) this.notModified += 1
      this.latency.push(ms)
      return true
    }
    this.rejected[status] = (this.rejected[status] ?? 0) + 1
    return false
  }

  result(): OpenLoopKind {
    // Anything still open at the end never answered: failed, not left out.
    const { ok, sent, notModified, rejected } = this
    const failed = this.failed + this.open
    const full = ok - notModified
    const meanFullBytes = full > 0 ? this.fullBytes / full : null
    return {
      sent,
      ok,
      notModified,
      failed,
      rejected,
      meanFullBytes,
      latencyMs: latencySummary(this.latency),
    }
  }
}

function latencySummary(samples: Samples): LatencySummary {
  const { mean, p50, p90, p99, max } = summarize(samples.values())
  return { mean, p50, p90, p99, max }
}

async function runOpenLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const cpuAtStart = process.cpuUsage()
  const pools = spec.baseUrls.map(
    () => new Agent({ keepAlive: true, maxSockets: spec.sockets, scheduling: 'fifo' }),
  )
  // Event streams hold their socket for the whole run: apart, so they never starve the polls.
  const streamPool = new Agent({ keepAlive: true })
  const create = await encodeBody({
    kind: 'multipart',
    fields: { agent_id: spec.writeAgent, text_prompt: PROMPT },
    files: [],
  })
  const createStreamed = await encodeBody({
    kind: 'multipart',
    fields: { agent_id: spec.streamAgent, text_prompt: PROMPT },
    files: [],
  })
  const proceed = await encodeBody({ kind: 'json', value: { text_prompt: PROMPT } })
  const authorization = Array.from({ length: spec.owners }, (_, owner) =>
    spec.auth ? `Bearer ${benchOwnerKey(owner)}` : undefined,
  )
  const etags: (string | undefined)[] = new Array(spec.owners)
  const latest: (string | undefined)[] = new Array(spec.owners)
  const turnsTaken = new Uint32Array(spec.owners)
  let nextInstance = 0
  const instance = () => {
    const index = nextInstance++ % spec.baseUrls.length
    return { baseUrl: spec.baseUrls[index] as string, agent: pools[index] as Agent }
  }

  const send = (
    target: { baseUrl: string; agent: Agent },
    method: string,
    path: string,
    headers: Record<string, string | undefined>,
    body?: { body: Buffer; contentType?: string },
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const sent: Record<string, string> = {}
      for (const [name, value] of Object.entries(headers)) if (value) sent[name] = value
      if (body?.contentType) sent['content-type'] = body.contentType
      const req = request(
        `${target.baseUrl}${path}`,
        {
          method,
          headers: sent,
          agent: target.agent,
          signal: AbortSignal.timeout(spec.timeoutS * 1000),
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (part: string) => {
            text += part
          })
          res.on('end', () => {
            const etag = res.headers.etag
            resolve({ status: res.statusCode ?? 0, body: text, ...(etag && { etag }) })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body?.body)
    })

  /** Resolves at the stream's first `message.delta` (true) or its end without one (false). */
  const firstDelta = (sessionId: string, owner: number) =>
    new Promise<boolean>((resolve, reject) => {
      const target = instance()
      const req = request(
        `${target.baseUrl}/sessions/${sessionId}/events`,
        {
          headers: {
            accept: 'text/event-stream',
            ...(authorization[owner] && { authorization: authorization[owner] }),
          },
          agent: streamPool,
          signal: AbortSignal.timeout(spec.timeoutS * 1000),
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume()
            reject(new Error(`events answered ${res.statusCode}`))
            return
          }
          const parser = new SseParser()
          let seen = false
          res.setEncoding('utf8')
          res.on('data', (part: string) => {
            if (seen) return
            if (parser.push(part).some((event) => event.event === 'message.delta')) {
              seen = true
              resolve(true)
            }
          })
          res.on('end', () => resolve(seen))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end()
    })

  const tallies = { polls: new Tally(), turns: new Tally(), firstToken: new Tally() }
  const sendLag = new Samples()
  let requests = 0
  let inFlight = 0
  let measuring = false
  const warmupMs = spec.warmupS * 1000
  const endMs = warmupMs + spec.durationS * 1000
  // A little ahead, so the first visits are not due before the loop runs.
  const t0 = performance.now() + 100
  const since = (due: number) => performance.now() - (t0 + due)

  const poll = async (visit: Visit, tally: Tally | undefined) => {
    const owner = visit.owner
    const headers = {
      authorization: authorization[owner],
      ...(spec.conditional && { 'if-none-match': etags[owner] }),
    }
    const answer = await send(instance(), 'GET', spec.pollPath, headers)
    if (answer.status === 200 && answer.etag) etags[owner] = answer.etag
    if (tally && answer.status === 200) tally.fullBytes += Buffer.byteLength(answer.body)
    tally?.answered(answer.status, since(visit.due))
  }

  const turn = async (visit: Visit, tally: Tally | undefined) => {
    const owner = visit.owner
    const streamed = streams(owner, spec.streamEvery)
    const taken = turnsTaken[owner] ?? 0
    const fresh = latest[owner] === undefined || taken % spec.newSessionEvery === 0
    turnsTaken[owner] = taken + 1
    const headers = { authorization: authorization[owner], prefer: 'respond-async' }
    const answer = fresh
      ? await send(
          instance(),
          'POST',
          '/sessions/text',
          headers,
          streamed ? createStreamed : create,
        )
      : await send(instance(), 'PUT', `/sessions/${latest[owner]}`, headers, proceed)
    if (answer.status >= 300) {
      tally?.answered(answer.status, since(visit.due))
      return
    }
    const sessionId = (JSON.parse(answer.body) as { id: string }).id
    latest[owner] = sessionId
    if (!streamed) {
      tally?.answered(answer.status, since(visit.due))
      return
    }
    if (await firstDelta(sessionId, owner)) tally?.answered(200, since(visit.due))
    else if (tally) tally.failed += 1
  }

  const fire = (visit: Visit) => {
    const measured = visit.due >= warmupMs
    const kind =
      visit.kind === 'poll'
        ? tallies.polls
        : streams(visit.owner, spec.streamEvery)
          ? tallies.firstToken
          : tallies.turns
    const tally = measured ? kind : undefined
    if (measured && !measuring) {
      measuring = true
      // The orchestrator starts counting the servers' CPU here: warm-up and JIT left out.
      process.send?.({ note: MEASURING })
    }
    if (tally) {
      tally.sent += 1
      sendLag.push(since(visit.due))
      tally.open += 1
    }
    requests += 1
    inFlight += 1
    const done = (visit.kind === 'poll' ? poll : turn)(visit, tally)
    done
      .catch(() => {
        if (tally) tally.failed += 1
      })
      .finally(() => {
        inFlight -= 1
        if (tally) tally.open -= 1
      })
  }

  const schedule = new OwnerSchedule({
    owners: spec.owners,
    pollEveryMs: spec.pollEveryMs,
    streamEvery: spec.streamEvery,
    streamEveryMs: spec.streamEveryMs,
    writeEveryMs: spec.writeEveryMs,
    endMs,
  })
  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now() - t0
      for (
        let due = schedule.peekDue();
        due !== undefined && due <= now;
        due = schedule.peekDue()
      ) {
        fire(schedule.take() as Visit)
      }
      const due = schedule.peekDue()
      if (due === undefined) return resolve()
      setTimeout(pump, Math.max(0, due - (performance.now() - t0)))
    }
    setTimeout(pump, 100)
  })
  // Every request is aborted at its timeout: waiting that long lets each one end.
  const drainUntil = performance.now() + spec.timeoutS * 1000 + 1_000
  while (inFlight > 0 && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  for (const pool of [...pools, streamPool]) pool.destroy()
  const cpu = process.cpuUsage(cpuAtStart)
  return {
    polls: tallies.polls.result(),
    turns: tallies.turns.result(),
    firstToken: tallies.firstToken.result(),
    sendLagMs: latencySummary(sendLag),
    requests,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  }
}

answerOnce<OpenLoopSpec, OpenLoopReply>(async (spec) => ({
  ok: true,
  result: await runOpenLoop(spec),
}))
