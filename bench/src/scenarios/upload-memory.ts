import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchConfig } from '../config.ts'
import type { LoadSpec } from '../load/load-spec.ts'
import type { UploadMemory } from '../report/results.ts'
import { readProcMemory } from '../runtime/proc-stats.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { measureRound, progress } from './measure.ts'

const MiB = 1024 * 1024
/** The server takes at most 10 MiB a file and 25 MiB a request (multipart overhead included). */
const FILES = 3
const FILE_BYTES = 8 * MiB

function uploadSpec(baseUrl: string, amount: number, connections: number): LoadSpec {
  return {
    baseUrl,
    method: 'POST',
    path: '/sessions/text',
    body: {
      kind: 'multipart',
      fields: { agent_id: 'echo', text_prompt: 'Here are the recordings of the interviews.' },
      files: Array.from({ length: FILES }, (_, i) => ({
        name: `recording-${i + 1}.bin`,
        contentType: 'application/octet-stream',
        bytes: FILE_BYTES,
      })),
    },
    connections,
    durationS: 0,
    amount,
    warmupS: 0,
    timeoutS: 120,
  }
}

/** RSS after `ms` of quiet, so a baseline is not taken in the middle of a collection. */
async function settledRss(pid: number, ms = 2_000): Promise<number> {
  await sleep(ms)
  return readProcMemory(pid)?.rss ?? 0
}

/**
 * How much our server's RSS rises for the largest request it accepts: one 24 MiB upload
 * alone, then a burst of them four at a time. Sampled every 10 ms: an upload's buffers live
 * for well under a second. `ours` should be freshly started, with nothing run on it before: the
 * growth is measured from its RSS at rest.
 */
export async function measureUploadMemory(options: {
  config: BenchConfig
  ours: ServiceProcess
}): Promise<UploadMemory> {
  const { config, ours } = options
  const requestBytes = FILES * FILE_BYTES

  const singleBaseline = await settledRss(ours.pid)
  const single = await measureRound(ours, uploadSpec(ours.baseUrl, 1, 1), 10)
  const singleAfter = await settledRss(ours.pid)
  const singleStatus = single.load.ok === 1 ? '2xx' : JSON.stringify(single.load.rejected)
  progress(
    `24 MiB upload: RSS ${(singleBaseline / MiB).toFixed(0)} → peak ${(single.proc.peak / MiB).toFixed(0)} MiB (${singleStatus})`,
  )

  const burstBaseline = await settledRss(ours.pid)
  const concurrency = Math.min(4, Math.max(1, config.uploadBurst))
  const burst =
    config.uploadBurst > 0
      ? await measureRound(ours, uploadSpec(ours.baseUrl, config.uploadBurst, concurrency), 10)
      : undefined
  const burstAfter = await settledRss(ours.pid)
  if (burst) {
    progress(
      `burst of ${config.uploadBurst} × 24 MiB, ${concurrency} at a time: RSS ${(burstBaseline / MiB).toFixed(0)} → peak ${(burst.proc.peak / MiB).toFixed(0)} MiB`,
    )
  }

  return {
    requestBytes,
    description: `${FILES} files × ${FILE_BYTES / MiB} MiB in one multipart request`,
    single: {
      baseline: singleBaseline,
      peak: single.proc.peak,
      after: singleAfter,
      status: singleStatus,
    },
    burst: {
      requests: config.uploadBurst,
      concurrency,
      baseline: burstBaseline,
      peak: burst?.proc.peak ?? Number.NaN,
      after: burstAfter,
      ok: burst?.load.ok ?? 0,
    },
  }
}
