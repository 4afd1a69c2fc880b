import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

/** An API key's entry as kept on disk: the owner and the SHA-256 of the key, never the key. */
export interface ApiKeyEntry {
  owner: string
  sha256: string
}

/**
 * API keys are random 32-byte secrets, so a plain SHA-256 is enough to keep them safe at rest:
 * no dictionary or brute force reaches that much entropy (slow hashes exist for passwords).
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** A new key and the entry that grants it to `owner`. */
export function newApiKey(owner: string): { key: string; entry: ApiKeyEntry } {
  const key = `uxm_${randomBytes(32).toString('base64url')}`
  return { key, entry: { owner, sha256: hashApiKey(key) } }
}

/** What an owner's name may be: it is written to logs and the database as is. */
export const OWNER_PATTERN = /^[\w.@-]{1,128}$/

/** Who a key belongs to, or undefined for an unknown key. */
export type ApiKeyLookup = (key: string) => string | undefined

/**
 * Reads `API_KEYS_FILE` (YAML or JSON): a list of `{ owner, sha256 }`. Throws with the bad entry
 * named, so a typo stops the server at start instead of locking someone out later.
 *
 * @example
 * ```ts
 * const owners = loadApiKeys('/etc/uxmate/keys.yaml')
 * owners('uxm_…') // 'team-a'
 * ```
 */
export function loadApiKeys(path: string): ApiKeyLookup {
  const entries: unknown = parse(readFileSync(path, 'utf8'))
  if (!Array.isArray(entries) || entries.length === 0)
    throw new Error(`${path}: expected a non-empty list of { owner, sha256 } entries`)
  const owners = new Map<string, string>()
  entries.forEach((entry: Partial<ApiKeyEntry>, index) => {
    const where = `${path}: entry ${index + 1}`
    if (typeof entry?.owner !== 'string' || !OWNER_PATTERN.test(entry.owner))
      throw new Error(`${where}: owner must be 1-128 letters, digits, '_', '.', '@' or '-'`)
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256))
      throw new Error(`${where} (${entry.owner}): sha256 must be 64 lowercase hex digits`)
    if (owners.has(entry.sha256)) throw new Error(`${where} (${entry.owner}): duplicate key`)
    owners.set(entry.sha256, entry.owner)
  })
  return (key) => owners.get(hashApiKey(key))
}
