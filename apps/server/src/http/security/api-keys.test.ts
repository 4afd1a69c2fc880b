import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashApiKey, loadApiKeys, newApiKey } from './api-keys.ts'

async function keysFile(content: string) {
  const path = join(await mkdtemp(join(tmpdir(), 'uxmate-keys-')), 'keys.yaml')
  await writeFile(path, content)
  return path
}

describe('API keys', () => {
  it('finds the owner of a key from its hash only', async () => {
    const { key, entry } = newApiKey('team-a')
    expect(entry.sha256).toBe(hashApiKey(key))
    const path = await keysFile(`- owner: team-a\n  sha256: ${entry.sha256}\n`)
    const owners = loadApiKeys(path)
    expect(owners(key)).toBe('team-a')
    expect(owners(`${key}x`)).toBeUndefined()
  })

  it('names the bad entry', async () => {
    const good = newApiKey('a').entry.sha256
    const path = await keysFile(
      JSON.stringify([
        { owner: 'a', sha256: good },
        { owner: 'b', sha256: 'not-hex' },
      ]),
    )
    expect(() => loadApiKeys(path)).toThrow(/entry 2 \(b\): sha256 must be 64 lowercase hex/)
  })

  it('refuses an empty file', async () => {
    const path = await keysFile('[]')
    expect(() => loadApiKeys(path)).toThrow(/non-empty list/)
  })
})
