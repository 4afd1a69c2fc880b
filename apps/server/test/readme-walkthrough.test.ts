/**
 * The README's walkthrough ("Using the API") runs as written: its shell block, taken from the
 * README, against a fresh server with the default settings (the echo agent's default pace
 * included), in the repository's folder as a reader would. Every curl there must answer 2xx:
 * the test runs it with `--fail-with-body`, and the shell stops at the first failure.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type BootedServer, bootServer } from '../src/boot.ts'
import { defaultConfig } from '../src/config/config.ts'
import { listen } from '../src/http/node-server.ts'
import { createJsonLogger } from '../src/logger.ts'

const repoDir = join(import.meta.dirname, '../../..')
const readmeAddress = 'http://127.0.0.1:8000'

/**
 * The shell block that follows the `<!-- walkthrough` comment in the README.
 *
 * @example
 * ```ts
 * walkthroughOf('<!-- walkthrough -->\n```sh\ncurl -s x\n```\n') // 'curl -s x\n'
 * ```
 */
function walkthroughOf(readme: string): string {
  const block = /<!-- walkthrough[^>]*-->\n```sh\n([\s\S]*?)```\n/.exec(readme)
  if (!block?.[1]) throw new Error('README.md has no ```sh block after <!-- walkthrough -->')
  return block[1]
}

/** Runs `script` with bash in the repository's folder; resolves with its exit code and output. */
function runShell(
  script: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: repoDir,
      // Where the walkthrough saves the file it downloads.
      env: { ...process.env, NO_COLOR: '1', TMPDIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (part) => {
      stdout += part
    })
    child.stderr.on('data', (part) => {
      stderr += part
    })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

let dataDir: string
let server: BootedServer
let http: ReturnType<typeof listen>
let base: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-walkthrough-'))
  server = await bootServer(
    { ...defaultConfig, dataDir, shutdownTimeoutMs: 0 },
    createJsonLogger('silent'),
  )
  await new Promise<void>((resolve) => {
    http = listen(server.app.fetch, { ...defaultConfig, port: 0 }, () => resolve())
  })
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => http?.close(resolve))
  await server?.close()
  await rm(dataDir, { recursive: true, force: true })
})

it('runs the README walkthrough as written, every request answered 2xx', async () => {
  const readme = await readFile(join(repoDir, 'README.md'), 'utf8')
  const walkthrough = walkthroughOf(readme)
  expect(walkthrough).toContain(readmeAddress)
  const failing = 'curl() { command curl --fail-with-body "$@"; }\n'
  const run = await runShell(failing + walkthrough.replaceAll(readmeAddress, base))
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)

  // The reply streamed word by word at the echo agent's default pace, then the run ended.
  const prompt = 'Show me how a reply streams, one word after another'
  const deltas = run.stdout.match(/^event: message\.delta$/gm) ?? []
  expect(deltas).toHaveLength(`You said: ${prompt}`.split(' ').length)
  expect(run.stdout).toMatch(/event: status\ndata: \{"status":"Ready"\}/)
  // The file came back, the retry was a replay, the probes answered.
  // (The answers before it end without a newline, as JSON answers do.)
  expect(run.stdout).toMatch(/200 \S+ \d+ bytes$/m)
  const copy = await readFile(join(dataDir, 'README-copy.md'), 'utf8')
  expect(copy).toBe(readme)
  expect(run.stdout).toMatch(/^idempotent-replayed: true\r?$/im)
  expect(run.stdout).toContain('{"status":"ok"}')
  // The last command deleted the session it opened.
  const { sessions } = (await (await fetch(`${base}/sessions?agent_id=echo`)).json()) as {
    sessions: unknown[]
  }
  expect(sessions).toEqual([])
})

it('finds no walkthrough in a README without the marker', () => {
  expect(() => walkthroughOf('```sh\ncurl -s x\n```\n')).toThrow(/no ```sh block/)
  expect(walkthroughOf('<!-- walkthrough: note -->\n```sh\ncurl -s x\n```\n')).toBe('curl -s x\n')
})
