import { afterEach, describe, expect, it, vi } from 'vitest'
import { mintIdempotencyKey } from '../src/idempotency.ts'

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('mintIdempotencyKey', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('mints a UUID v4 with crypto.randomUUID', () => {
    const keys = new Set(Array.from({ length: 100 }, mintIdempotencyKey))
    expect(keys.size).toBe(100)
    for (const key of keys) expect(key).toMatch(uuidV4)
  })

  it('falls back to getRandomValues where randomUUID is missing (insecure browser contexts)', () => {
    const webCrypto = globalThis.crypto
    const getRandomValues = vi.fn(<T extends ArrayBufferView>(array: T) =>
      webCrypto.getRandomValues(array),
    )
    vi.stubGlobal('crypto', { getRandomValues })
    const keys = new Set(Array.from({ length: 100 }, mintIdempotencyKey))
    expect(getRandomValues).toHaveBeenCalledTimes(100)
    expect(keys.size).toBe(100)
    for (const key of keys) expect(key).toMatch(uuidV4)
  })
})
