import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bench package's own folder (`bench/`). */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The workspace root. */
export const repoRoot = resolve(benchDir, '..')

/** The server's production build, as `pnpm --filter @uxmate/server build` leaves it. */
export const serverMain = join(repoRoot, 'apps/server/dist/main.js')

/** The contract; the peer validates against it and the SSE scenario looks for its route in it. */
export const openapiPath = join(repoRoot, 'openapi.yaml')

/** Where each run's JSON goes (gitignored). */
export const resultsDir = join(benchDir, 'results')

/** A TypeScript entry of this package, run in a child process through tsx's loader. */
export function benchEntry(relativeToSrc: string): string {
  return join(benchDir, 'src', relativeToSrc)
}
