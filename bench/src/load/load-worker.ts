/**
 * The load process: a child of the orchestrator, so that generating load never shares a
 * process (and an event loop) with what is measured. It takes one {@link LoadSpec} over IPC,
 * runs autocannon, answers with a {@link LoadResult} and exits.
 */
import autocannon from 'autocannon'
import { Samples, summarize } from '../report/percentiles.ts'
import { seedSessionId } from '../seed/seed-ids.ts'
import { benchOwnerKey } from '../seed/seed-rows.ts'
import { answerOnce } from './answer-once.ts'
import type { LoadReply, LoadResult, LoadSpec } from './load-spec.ts'
import { encodeBody } from './request-body.ts'

type Options = autocannon.Options

async function optionsOf(spec: LoadSpec): Promise<Options> {
  const { body, contentType } = spec.body ? await encodeBody(spec.body) : {}
  const headers: Record<string, string> = { ...spec.headers }
  if (contentType) headers['content-type'] = contentType
  const options: Options = {
    url: `${spec.baseUrl}${spec.path}`,
    method: spec.method,
    headers,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: spec.timeoutS,
  }
  if (body) options.body = body
  const rotation = spec.rotateSeededSessions
  if (rotation) {
    // One counter for every connection: consecutive requests continue different sessions.
    let next = rotation.start ?? 0
    options.requests = [
      {
        setupRequest: (request) => ({
          ...request,
          path: `/sessions/${seedSessionId(rotation.from + (next++ % rotation.count))}`,
        }),
      },
    ]
  }
  if (spec.ownerMix) options.requests = [ownerMixRequest(spec, spec.ownerMix, headers, body)]
  return options
}

/**
 * One request template that walks the owners' visits in turn, over every connection: owner
 * o's reads, then its write if it is one of those that stream. Requests are made up front, so
 * a request costs the load process a lookup.
 */
function ownerMixRequest(
  spec: LoadSpec,
  mix: NonNullable<LoadSpec['ownerMix']>,
  writeHeaders: Record<string, string>,
  body: Buffer | undefined,
): autocannon.Request {
  const steps: autocannon.Request[] = []
  for (let owner = 0; owner < mix.owners; owner++) {
    const authorization = `Bearer ${benchOwnerKey(owner)}`
    for (const path of mix.reads)
      steps.push({ method: 'GET', path, headers: { ...spec.headers, authorization } })
    if (mix.streamEvery > 0 && owner % mix.streamEvery === 0) {
      const write: autocannon.Request = {
        method: spec.method,
        path: spec.path,
        headers: { ...writeHeaders, authorization },
      }
      if (body) write.body = body
      steps.push(write)
    }
  }
  let next = 0
  return {
    setupRequest: (request) => ({ ...request, ...steps[next++ % steps.length] }),
  }
}

function run(options: Options, onResponse?: (status: number, bytes: number, ms: number) => void) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    )
    if (onResponse) {
      instance.on('response', (_client, statusCode, resBytes, responseTime) =>
        onResponse(statusCode, resBytes, responseTime),
      )
    }
  })
}

/**
 * Warms up, then measures. Latencies come from autocannon's per-response events rather than
 * its histogram, which keeps whole milliseconds only: at 1–3 ms a request that would hide the
 * very differences the budgets are about.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const options = await optionsOf(spec)
  if (spec.warmupS > 0 && spec.amount === undefined) {
    await run({ ...options, duration: spec.warmupS })
  }
  const latencies = new Samples()
  const rejected: Record<string, number> = {}
  let bytes = 0
  const measured: Options = { ...options }
  if (spec.amount !== undefined) {
    // A counted run: autocannon stops after `amount` responses and ignores any duration.
    delete measured.duration
    measured.amount = spec.amount
  }
  const result = await run(measured, (status, responseBytes, ms) => {
    bytes += responseBytes
    if (status >= 200 && status < 300) latencies.push(ms)
    else rejected[status] = (rejected[status] ?? 0) + 1
  })
  const latency = summarize(latencies.values())
  const durationS = result.duration
  return {
    ok: latencies.length,
    rejected,
    errors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    durationS,
    rps: latencies.length / durationS,
    latencyMs: {
      mean: latency.mean,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
    },
    bytesPerSecond: bytes / durationS,
  }
}

answerOnce<LoadSpec, LoadReply>(async (spec) => ({ ok: true, result: await runLoad(spec) }))
