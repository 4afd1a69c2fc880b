/**
 * Mints an API key: `pnpm --filter @uxmate/server api-key <owner>` (or `node dist/api-key.js
 * <owner>` in a build). Prints the key once and the entry to add to `API_KEYS_FILE`; exits 2
 * for a missing or bad owner.
 */
import { mintApiKey } from './http/security/mint-api-key.ts'

const owner = process.argv[2]
if (owner === undefined || process.argv.length > 3) {
  process.stderr.write('Usage: api-key <owner>   (e.g. api-key team-design)\n')
  process.exit(2)
}
try {
  process.stdout.write(mintApiKey(owner).text)
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
}
