import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { benchOwner, benchOwnerKey } from './seed-rows.ts'

/**
 * Writes an `API_KEYS_FILE` with one key per owner 0…`owners - 1` (`benchOwnerKey`, stored as
 * its SHA-256 as the server expects), so that the load can act as each of them.
 *
 * @example
 * ```ts
 * writeOwnerKeys(join(workDir, 'owner-keys.json'), 1_000)
 * ```
 */
export function writeOwnerKeys(file: string, owners: number): void {
  writeFileSync(
    file,
    JSON.stringify(
      Array.from({ length: owners }, (_, index) => ({
        owner: benchOwner(index),
        sha256: createHash('sha256').update(benchOwnerKey(index), 'utf8').digest('hex'),
      })),
    ),
  )
}
