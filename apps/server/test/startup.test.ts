/**
 * What the server refuses to start with: the process exits with code 2 and says why.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { serverDir } from './child-server.ts'

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-startup-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** Runs src/main.ts with `env` until it exits (it must, here: it refuses to start). */
function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe('starting the server', () => {
  it('refuses to run open (no API keys) on an address other machines may reach', () => {
    const run = start({ HOST: '0.0.0.0' })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain("HOST is '0.0.0.0', which other machines may reach")
    expect(run.stderr).toContain('ALLOW_ANONYMOUS=true')
  })

  it('refuses a keys file with a bad entry, naming it', async () => {
    const keys = join(dataDir, 'keys.yaml')
    await writeFile(keys, '- owner: team-a\n  sha256: not-a-hash\n')
    const run = start({ HOST: '127.0.0.1', API_KEYS_FILE: keys })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(
      `API_KEYS_FILE: ${keys}: entry 1 (team-a): sha256 must be 64 lowercase hex digits`,
    )
  })

  it('refuses a keys file that is not there', () => {
    const run = start({ HOST: '127.0.0.1', API_KEYS_FILE: join(dataDir, 'missing.yaml') })
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/API_KEYS_FILE: .*ENOENT/)
  })
})
