import { spawnSync } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadApiKeys } from './api-keys.ts'
import { mintApiKey } from './mint-api-key.ts'

describe('mintApiKey', () => {
  it('gives a key once and an entry that grants it to the owner, and only it', async () => {
    const { key, entryYaml, text } = mintApiKey('team-design')
    expect(key).toMatch(/^uxm_[A-Za-z0-9_-]{43}$/)
    expect(text).toContain(key)
    expect(entryYaml).not.toContain(key)
    const path = join(await mkdtemp(join(tmpdir(), 'uxmate-mint-')), 'keys.yaml')
    await writeFile(path, entryYaml + mintApiKey('someone-else').entryYaml)
    const owners = loadApiKeys(path)
    expect(owners(key)).toBe('team-design')
    expect(owners(mintApiKey('team-design').key)).toBeUndefined()
  })

  it('refuses an owner name the keys file would refuse', () => {
    expect(() => mintApiKey('team design')).toThrow(/1 to 128 letters/)
    expect(() => mintApiKey('')).toThrow(/1 to 128 letters/)
  })

  it('runs as a command: the key and the entry on stdout, exit 2 without an owner', () => {
    const script = fileURLToPath(new URL('../../api-key.ts', import.meta.url))
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' })
    const minted = run('ops')
    expect(minted.status).toBe(0)
    expect(minted.stdout).toMatch(/uxm_\S+[\s\S]*- owner: ops\n {2}sha256: [0-9a-f]{64}\n$/)
    const usage = run()
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/Usage: api-key <owner>/)
  })
})
