/**
 * `pnpm soak`: the built server (dist/main.js) on 127.0.0.1 with a temporary DATA_DIR and two
 * API keys, under mixed traffic for SOAK_SECONDS (default 600), then a report: requests and
 * errors by action (target: no error), and the growth of the server's resident memory from the
 * end of the warm-up to the end (target: under 10 %). Exits 1 when a target is missed.
 *
 * Resident memory swings with every garbage collection, and a fresh process grows its heap for a
 * while before it settles: each end of the comparison is the mean of the samples of a window (a
 * tenth of the run), the first one after the warm-up, the last one at the end.
 *
 * Settings: SOAK_SECONDS, SOAK_WORKERS (default 8), SOAK_WARMUP_SECONDS (default a fifth of
 * the run, at most 120).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { newApiKey } from '../../src/http/security/api-keys.ts'
import { type ChildServer, startChildServer } from '../../test/child-server.ts'
import { mib, SoakStats } from './report.ts'
import { nextStep } from './traffic.ts'

const seconds = (name: string, fallback: number) => {
  const raw = process.env[name]
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

const durationS = seconds('SOAK_SECONDS', 600)
const workers = Math.round(seconds('SOAK_WORKERS', 8))
const warmupS = seconds('SOAK_WARMUP_SECONDS', Math.min(120, durationS / 5))
const MAX_RSS_GROWTH = 0.1

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'uxmate-soak-'))
  const owners = [newApiKey('soak-a'), newApiKey('soak-b')]
  const keysFile = join(dataDir, 'keys.yaml')
  await writeFile(keysFile, stringify(owners.map((o) => o.entry)))
  let server: ChildServer | undefined
  const stop = async () => {
    await server?.stop('SIGTERM')
    await rm(dataDir, { recursive: true, force: true })
  }
  process.once('SIGINT', () => void stop().then(() => process.exit(130)))
  try {
    server = await startChildServer({
      entry: 'dist',
      env: {
        DATA_DIR: dataDir,
        API_KEYS_FILE: keysFile,
        // Leaks, not limits, are what a soak looks for.
        RATE_LIMIT_PER_SECOND: '0',
        ECHO_DELAY_MS: '1',
        // As in production: a log line per request (the soak reads the port from the first).
        LOG_LEVEL: 'info',
      },
    })
    const running = server
    console.log(
      `soak: ${durationS} s, ${workers} workers, warm-up ${warmupS} s, server pid ${running.pid} at ${running.baseUrl}`,
    )

    const stats = new SoakStats()
    const startedAt = Date.now()
    const endsAt = startedAt + durationS * 1000
    const samples: Array<{ at: number; rss: number }> = []
    const sampler = setInterval(() => {
      running
        .rssBytes()
        .then((rss) => samples.push({ at: Date.now(), rss }))
        .catch(() => undefined)
    }, 2000)
    const progress = setInterval(() => {
      const elapsed = Math.round((Date.now() - startedAt) / 1000)
      const rss = samples.at(-1)?.rss ?? 0
      console.log(
        `  ${elapsed} s: ${stats.requests} requests, ${stats.errors} errors, RSS ${mib(rss)}`,
      )
    }, 30_000)

    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const ctx = {
          baseUrl: running.baseUrl,
          key: owners[w % owners.length]?.key ?? '',
          sessions: [],
        }
        while (Date.now() < endsAt) for (const outcome of await nextStep(ctx)) stats.add(outcome)
      }),
    )
    clearInterval(sampler)
    clearInterval(progress)
    samples.push({ at: Date.now(), rss: await running.rssBytes() })

    const windowMs = Math.max(6000, (durationS * 1000) / 10)
    const warmEnd = startedAt + warmupS * 1000
    const mean = (from: number, to: number) => {
      const inWindow = samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rss)
      return inWindow.reduce((a, b) => a + b, 0) / Math.max(1, inWindow.length)
    }
    const baseline = mean(warmEnd, warmEnd + windowMs)
    const final = mean(endsAt - windowMs, Number.POSITIVE_INFINITY)
    const growth = (final - baseline) / baseline

    console.log(`\nrequests by action:\n${stats.table()}`)
    console.log(`\nrequests: ${stats.requests}, errors: ${stats.errors} (target 0)`)
    console.log(
      `RSS after warm-up ${mib(baseline)}, at the end ${mib(final)}: ${(growth * 100).toFixed(1)} % growth (target < ${MAX_RSS_GROWTH * 100} %)`,
    )
    const ok = stats.errors === 0 && growth < MAX_RSS_GROWTH
    console.log(ok ? 'soak: PASS' : 'soak: FAIL')
    return ok ? 0 : 1
  } finally {
    await stop()
  }
}

process.exit(await main())
