/**
 * The package as npm would ship it: built with tsup (unless dist is fresh), packed with
 * `pnpm pack` (which applies `publishConfig` and rewrites `workspace:` ranges), then linted by
 * publint and by arethetypeswrong for every module resolution mode. Also loads the built ESM
 * and CJS, and compiles a consumer against the built declarations in Node and in a browser.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Client from '../src/index.ts'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string) => join(packageDir, 'node_modules', '.bin', name)
const packDir = mkdtempSync(join(tmpdir(), 'uxmate-client-pack-'))
let tarball = ''

/** Runs a command in the package; on failure, the error message carries its whole output. */
function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: packageDir, encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

const outputs = ['index.mjs', 'index.cjs', 'index.d.ts', 'index.d.cts'].map((file) =>
  join(packageDir, 'dist', file),
)
const inputs = [
  ...readdirSync(join(packageDir, 'src'), { recursive: true, encoding: 'utf8' }).map((file) =>
    join(packageDir, 'src', file),
  ),
  ...['package.json', 'tsconfig.json', 'tsup.config.ts', '../../tsconfig.base.json'].map((file) =>
    join(packageDir, file),
  ),
]

/**
 * Whether dist is older than its sources. Under turbo, `build` has just run and dist is fresh:
 * rebuilding (tsup cleans dist first) could pull it from under other packages' tests.
 */
function isStale(): boolean {
  if (!outputs.every((file) => existsSync(file))) return true
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs))
  return inputs.some((file) => statSync(file).mtimeMs > built)
}

beforeAll(() => {
  if (isStale()) run(bin('tsup'), ['--silent'])
  run('pnpm', ['pack', '--pack-destination', packDir])
  const [name] = readdirSync(packDir).filter((file) => file.endsWith('.tgz'))
  if (!name) throw new Error('pnpm pack wrote no tarball')
  tarball = join(packDir, name)
}, 120_000)

afterAll(() => {
  rmSync(packDir, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('holds the build, the README, the LICENSE and the CHANGELOG, and nothing else', () => {
    const files = run('tar', ['-tzf', tarball]).trim().split('\n').sort()
    expect(files).toEqual([
      'package/CHANGELOG.md',
      'package/LICENSE',
      'package/README.md',
      'package/dist/index.cjs',
      'package/dist/index.cjs.map',
      'package/dist/index.d.cts',
      'package/dist/index.d.ts',
      'package/dist/index.mjs',
      'package/dist/index.mjs.map',
      'package/package.json',
    ])
  })

  it('has a README whose links work on npm (no path into the repository)', () => {
    const readme = run('tar', ['-xzOf', tarball, 'package/README.md'])
    expect(readme.match(/\]\((?!https:\/\/|#)[^)]*\)/g) ?? []).toEqual([])
  })

  it('points its exports at dist and depends on a published contract version', () => {
    const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']))
    expect(manifest.exports['.']).toEqual({
      import: { types: './dist/index.d.ts', default: './dist/index.mjs' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    })
    expect(manifest.sideEffects).toBe(false)
    expect(manifest.dependencies['@uxmate/contract']).toMatch(/^\^\d+\.\d+\.\d+/)
  })

  it('passes publint, warnings included', () => {
    const output = run(bin('publint'), ['run', tarball, '--strict'])
    expect(output).toContain('All good!')
  })

  it('passes arethetypeswrong in every resolution mode', () => {
    // Exits non-zero on any problem; --no-definitely-typed keeps it off the network.
    const output = run(bin('attw'), [tarball, '--no-definitely-typed', '--format', 'ascii'])
    expect(output).toContain('No problems found')
  })
})

/** A program using the client as a consumer would, typed by the built declarations. */
const consumer = `
import { createUxmateClient, UxmateApiError, type Session } from '@uxmate/client'

const client = createUxmateClient({
  baseUrl: 'http://127.0.0.1:8000',
  fetch: globalThis.fetch,
  headers: { 'X-Client': 'consumer' },
})
export async function latest(agent_id: string): Promise<Session | undefined> {
  try {
    const { sessions } = await client.sessions.getSessions({ agent_id, limit: 1 })
    return sessions[0]
  } catch (error) {
    if (error instanceof UxmateApiError && error.isValidationError()) {
      console.warn(error.problem.errors.map((problem) => problem.msg))
    }
    throw error
  }
}
`

describe('the built declarations', () => {
  // The contract's source, so that no build of it is needed; openapi-fetch's own declarations.
  const paths = {
    '@uxmate/client': [join(packageDir, 'dist/index.d.ts')],
    '@uxmate/contract': [join(packageDir, '../contract/src/index.ts')],
    'openapi-fetch': [join(packageDir, 'node_modules/openapi-fetch/dist/index.d.mts')],
  }
  it.each([
    ['a Node project without the DOM lib', { lib: ['ES2022'], types: ['node'] }],
    ['a browser project without Node types', { lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] }],
  ])('compile in %s', (_, environment) => {
    const dir = mkdtempSync(join(tmpdir(), 'uxmate-client-consumer-'))
    try {
      writeFileSync(join(dir, 'consumer.mts'), consumer)
      const compilerOptions = {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        allowImportingTsExtensions: true,
        typeRoots: [join(packageDir, 'node_modules/@types')],
        paths,
        ...environment,
      }
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: ['consumer.mts'] }),
      )
      run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the build', () => {
  const check = async (client: typeof Client) => {
    const sent: Request[] = []
    const api = client.createUxmateClient({
      baseUrl: 'http://api.test',
      fetch: async (request) => {
        sent.push(request)
        return Response.json({ status: 'ok' })
      },
    })
    await expect(api.service.getHealth()).resolves.toEqual({ status: 'ok' })
    expect(sent[0]?.url).toBe('http://api.test/health')
    expect(new client.UxmateTimeoutError(1)).toBeInstanceOf(client.UxmateError)
  }

  it('works as ESM', async () => {
    await check(await import(join(packageDir, 'dist/index.mjs')))
  })

  it('works as CommonJS', async () => {
    await check(createRequire(import.meta.url)(join(packageDir, 'dist/index.cjs')))
  })
})
