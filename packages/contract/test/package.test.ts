/**
 * The package as npm would ship it: `pnpm pack` (which applies `publishConfig` and runs the
 * `prepack` check), then publint and arethetypeswrong on the tarball. The client's tests install
 * this tarball with the client's in a project outside the workspace (client/test/consumer.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const checkBuild = join(packageDir, '../../scripts/check-packed-build.mjs')
const bin = (name: string) => join(packageDir, 'node_modules', '.bin', name)
const packDir = mkdtempSync(join(tmpdir(), 'uxmate-contract-pack-'))
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

beforeAll(() => {
  // Under turbo, `build` has just run; alone, build when the prepack check would refuse.
  const ready = spawnSync(process.execPath, [checkBuild], { cwd: packageDir, stdio: 'ignore' })
  if (ready.status !== 0) run(bin('tsup'), ['--silent'])
  run('pnpm', ['pack', '--pack-destination', packDir])
  const [name] = readdirSync(packDir).filter((file) => file.endsWith('.tgz'))
  if (!name) throw new Error('pnpm pack wrote no tarball')
  tarball = join(packDir, name)
}, 120_000)

afterAll(() => {
  rmSync(packDir, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('holds both entry points, the README, the LICENSE and the CHANGELOG', () => {
    const files = run('tar', ['-tzf', tarball]).trim().split('\n').sort()
    expect(files.filter((file) => !file.startsWith('package/dist/'))).toEqual([
      'package/CHANGELOG.md',
      'package/LICENSE',
      'package/README.md',
      'package/package.json',
    ])
    for (const entry of ['index', 'document']) {
      for (const extension of ['mjs', 'cjs', 'd.ts', 'd.cts']) {
        expect(files).toContain(`package/dist/${entry}.${extension}`)
      }
    }
  })

  it('has a README whose links work on npm (no path into the repository)', () => {
    const readme = run('tar', ['-xzOf', tarball, 'package/README.md'])
    expect(readme.match(/\]\((?!https:\/\/|#)[^)]*\)/g) ?? []).toEqual([])
  })

  it('passes publint, warnings included', () => {
    expect(run(bin('publint'), ['run', tarball, '--strict'])).toContain('All good!')
  }, 60_000)

  it('passes arethetypeswrong in every resolution mode', () => {
    // Exits non-zero on any problem; --no-definitely-typed keeps it off the network.
    const output = run(bin('attw'), [tarball, '--no-definitely-typed', '--format', 'ascii'])
    expect(output).toContain('No problems found')
  }, 60_000)
})

describe('prepack', () => {
  it('refuses to pack a package whose build is missing, saying what to run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxmate-prepack-'))
    try {
      mkdirSync(join(dir, 'src'))
      writeFileSync(join(dir, 'src', 'index.ts'), 'export {}\n')
      const exports = { '.': { import: './dist/index.mjs' } }
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'built-later', publishConfig: { exports } }),
      )
      const refused = spawnSync(process.execPath, [checkBuild], { cwd: dir, encoding: 'utf8' })
      expect(refused.status).toBe(1)
      expect(refused.stderr).toContain('built-later: not packed')
      expect(refused.stderr).toContain('./dist/index.mjs missing')
      expect(refused.stderr).toContain('Run `pnpm build`')
      mkdirSync(join(dir, 'dist'))
      writeFileSync(join(dir, 'dist', 'index.mjs'), 'export {}\n')
      expect(spawnSync(process.execPath, [checkBuild], { cwd: dir }).status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
