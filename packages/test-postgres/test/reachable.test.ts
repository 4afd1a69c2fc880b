import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { assertBinariesReachable, firstClosedFolder } from '../src/reachable.ts'

let dir = ''
afterEach(() => {
  if (dir) chmodSync(dir, 0o755)
  rmSync(dir, { recursive: true, force: true })
  dir = ''
})

it('names the first folder others cannot enter on the way to a path', () => {
  dir = mkdtempSync(join(tmpdir(), 'uxmate-closed-'))
  mkdirSync(join(dir, 'clone', 'node_modules'), { recursive: true })
  chmodSync(dir, 0o755)
  expect(firstClosedFolder(join(dir, 'clone', 'node_modules'))).toBeUndefined()
  chmodSync(dir, 0o700)
  expect(firstClosedFolder(join(dir, 'clone', 'node_modules'))).toBe(dir)
})

it('stops before initdb when the binaries sit under a closed folder, saying what to do', () => {
  dir = mkdtempSync(join(tmpdir(), 'uxmate-closed-'))
  const binaries = join(dir, 'clone', 'node_modules', '.pnpm')
  mkdirSync(binaries, { recursive: true })
  chmodSync(dir, 0o755)
  expect(() => assertBinariesReachable(binaries)).not.toThrow()
  chmodSync(dir, 0o700)
  expect(() => assertBinariesReachable(binaries)).toThrow(`cannot enter ${dir} (mode 700)`)
  expect(() => assertBinariesReachable(binaries)).toThrow(`chmod o+x ${dir}`)
  expect(() => assertBinariesReachable(binaries)).toThrow('TEST_DATABASE_URL=')
})
