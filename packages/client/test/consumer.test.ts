/**
 * The published packages as another team gets them: `pnpm pack` of @uxmate/contract and
 * @uxmate/client, `npm install` of the two tarballs into a project outside the workspace, a
 * TypeScript file using the client compiled there under `strict`, and run against a live server.
 */
import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  type BootedServer,
  bootServer,
  createJsonLogger,
  defaultConfig,
  listen,
} from '@uxmate/server'
import { afterAll, beforeAll, expect, it } from 'vitest'

const clientDir = fileURLToPath(new URL('..', import.meta.url))
const contractDir = fileURLToPath(new URL('../../contract', import.meta.url))
const tsc = join(clientDir, 'node_modules', '.bin', 'tsc')
const work = mkdtempSync(join(tmpdir(), 'uxmate-consumer-'))
const project = join(work, 'project')

let server: BootedServer
let http: ReturnType<typeof listen>
let baseUrl = ''

/**
 * npm started from a pnpm script runs on the workspace's Node, and looks for its global npmrc
 * under that Node's folder, not the system's: a CA bundle set there (a company proxy's) is
 * missed. The bundle Node itself is told to trust stands in for it.
 */
const npmEnv = {
  ...process.env,
  ...(process.env.NODE_EXTRA_CA_CERTS && { npm_config_cafile: process.env.NODE_EXTRA_CA_CERTS }),
}

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: npmEnv })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

/** Packs a workspace package (building it first when its dist is missing). */
function pack(dir: string, entry: string): string {
  if (!existsSync(join(dir, 'dist', entry)))
    run(join(dir, 'node_modules', '.bin', 'tsup'), ['--silent'], dir)
  const before = new Set(readdirSync(work))
  run('pnpm', ['pack', '--pack-destination', work], dir)
  const tarball = readdirSync(work).find((file) => file.endsWith('.tgz') && !before.has(file))
  if (!tarball) throw new Error(`pnpm pack wrote no tarball in ${dir}`)
  return join(work, tarball)
}

beforeAll(async () => {
  const tarballs = [pack(contractDir, 'index.mjs'), pack(clientDir, 'index.mjs')]
  run('mkdir', ['-p', project], work)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], project)
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        outDir: 'out',
      },
      files: ['consumer.ts', 'env.d.ts'],
    }),
  )
  // The consumer reads its server's URL from the environment; declare just that, not @types/node.
  writeFileSync(
    join(project, 'env.d.ts'),
    'declare const process: { env: Record<string, string | undefined> }\n',
  )
  copyFileSync(join(clientDir, 'test', 'consumer', 'consumer.ts'), join(project, 'consumer.ts'))

  const dataDir = join(work, 'data')
  server = await bootServer(
    { ...defaultConfig, dataDir, logLevel: 'silent', echoDelayMs: 0 },
    createJsonLogger('silent'),
  )
  http = listen(server.app.fetch, { ...defaultConfig, host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => http.once('listening', resolve))
  baseUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`
}, 180_000)

afterAll(async () => {
  await new Promise((resolve) => http?.close(resolve))
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

it('installs from the tarballs, compiles under strict and works against a live server', async () => {
  run(tsc, ['-p', 'tsconfig.json'], project)
  // Asynchronously: the server answering the consumer runs in this very process. The consumer
  // runs on this process's Node, or on the one CI names (the oldest the client's engines admit).
  const consumerNode = process.env.UXMATE_CONSUMER_NODE ?? process.execPath
  const { stdout } = await promisify(execFile)(consumerNode, ['out/consumer.js'], {
    cwd: project,
    env: { ...process.env, UXMATE_URL: baseUrl },
  })
  expect(JSON.parse(stdout)).toEqual({
    created: {
      status: 'Ready',
      files: [
        ['one.txt', 'text/plain', 10],
        ['two.csv', 'text/csv', 8],
      ],
      reply: 'You said: Read my notes (files: one.txt, two.csv)',
    },
    readBack: true,
    listed: 5,
    listedIncludesCreated: true,
    updated: ['user', 'assistant', 'user', 'assistant'],
    groupedToday: 5,
    notFound: { status: 404, detail: 'Session not found' },
    invalid: { status: 422, isValidationError: true, loc: ['query', 'limit'] },
  })
})
