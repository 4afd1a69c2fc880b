import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The command that mints an API key where this server runs: in a build (a deployed folder, the
 * image, `pnpm start`) `node <path>/api-key.js` from the current folder, since pnpm and the
 * workspace may not be there; from the sources, the workspace's script.
 *
 * @example
 * ```ts
 * apiKeyCommand('file:///srv/uxmate/dist/main.js', '/srv/uxmate') // 'node dist/api-key.js'
 * ```
 */
export function apiKeyCommand(moduleUrl: string = import.meta.url, cwd = process.cwd()): string {
  const here = dirname(fileURLToPath(moduleUrl))
  if (basename(here) !== 'dist') return 'pnpm --filter @uxmate/server api-key'
  return `node ${relative(cwd, join(here, 'api-key.js'))}`
}
