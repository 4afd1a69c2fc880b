/**
 * start.sh is the one place of the server's process settings: the image, `pnpm start`, a
 * deployed folder and the bench all start the server through it. Run here against a stand-in
 * dist/main.js that reports what the process was started with.
 */
import { spawn } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { serverDir } from './child-server.ts'

const repoRoot = join(serverDir, '../..')
const folder = mkdtempSync(join(tmpdir(), 'uxmate-start-'))
copyFileSync(join(serverDir, 'start.sh'), join(folder, 'start.sh'))
mkdirSync(join(folder, 'dist'))
writeFileSync(
  join(folder, 'dist/main.js'),
  `import { getHeapStatistics } from 'node:v8'
console.log(JSON.stringify({
  pid: process.pid,
  execPath: process.execPath,
  execArgv: process.execArgv,
  mmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_,
  heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20,
}))
`,
)
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const serverPackage = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')) as {
  scripts: { start: string }
  files: string[]
}

interface Started {
  pid: number
  execPath: string
  execArgv: string[]
  mmapThreshold: string | undefined
  heapLimitMiB: number
}

/**
 * Runs a command line in a shell from another directory, as `sh -c` (which is how pnpm and npm
 * run a package script), with the environment they give it.
 */
function run(
  command: string,
  env: Record<string, string>,
): Promise<{ shellPid: number; started: Started }> {
  return new Promise((resolve, reject) => {
    const { MALLOC_MMAP_THRESHOLD_: _ignored, ...inherited } = process.env
    const child = spawn('sh', ['-c', command], {
      cwd: tmpdir(),
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command} exited with ${code}: ${output}`))
      else resolve({ shellPid: child.pid ?? -1, started: JSON.parse(output) as Started })
    })
  })
}

/** Runs the copied start.sh as `exec sh <folder>/start.sh`, with NODE set to this test's Node. */
const start = (env: Record<string, string> = {}) =>
  run(`exec sh ${join(folder, 'start.sh')}`, { NODE: process.execPath, ...env })

describe('start.sh', () => {
  it('execs the Node binary it is given on dist/main.js beside it, with the memory settings', async () => {
    const { shellPid, started } = await start()
    // exec: the server is the process that was started, so signals reach it.
    expect(started.pid).toBe(shellPid)
    expect(started.execArgv).toEqual(['--max-semi-space-size=8', '--max-old-space-size=512'])
    expect(started.mmapThreshold).toBe('65536')
    // V8 took the old-space limit (its heap limit adds the young generation to it).
    expect(started.heapLimitMiB).toBeGreaterThanOrEqual(512)
    expect(started.heapLimitMiB).toBeLessThan(600)
  })

  it("leaves an operator's own allocator threshold alone", async () => {
    const { started } = await start({ MALLOC_MMAP_THRESHOLD_: '131072' })
    expect(started.mmapThreshold).toBe('131072')
  })

  it('is what the image and the deployed folder run', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^CMD \["sh", "start\.sh"\]$/m)
    expect(serverPackage.files).toContain('start.sh')
  })

  it("runs, as pnpm start, the Node on the script's PATH, not the one NODE names", async () => {
    // pnpm and npm put node_modules/.bin (the project's Node 24) first on a script's PATH and
    // set NODE to the binary running them, which may be an older Node the server refuses.
    const bin = join(folder, 'bin')
    mkdirSync(bin, { recursive: true })
    symlinkSync(process.execPath, join(bin, 'node'))
    const script = serverPackage.scripts.start.replace('start.sh', join(folder, 'start.sh'))
    const { started } = await run(script, {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      NODE: join(folder, 'not-this-node'),
    })
    expect(started.execPath).toBe(process.execPath)
    expect(started.execArgv).toEqual(['--max-semi-space-size=8', '--max-old-space-size=512'])
  })
})
