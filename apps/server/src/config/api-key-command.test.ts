import { describe, expect, it } from 'vitest'
import { apiKeyCommand } from './api-key-command.ts'

describe('apiKeyCommand', () => {
  it('names the built script from where the process runs, in a build', () => {
    expect(apiKeyCommand('file:///srv/uxmate/dist/main.js', '/srv/uxmate')).toBe(
      'node dist/api-key.js',
    )
    expect(apiKeyCommand('file:///repo/apps/server/dist/chunk-1.js', '/repo')).toBe(
      'node apps/server/dist/api-key.js',
    )
  })

  it('names the workspace script when running from the sources', () => {
    expect(apiKeyCommand('file:///repo/apps/server/src/config/load-config.ts', '/repo')).toBe(
      'pnpm --filter @uxmate/server api-key',
    )
  })
})
