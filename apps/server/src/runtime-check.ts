import { ConfigError } from './config/load-config.ts'

/** better-sqlite3 13 is built on Node-API 10: older runtimes load it, then crash opening a file. */
const NODE_API_NEEDED = 10

/**
 * Throws a `ConfigError` on a Node too old for the server (older than 22.14, the oldest that
 * `engines` admits), before anything opens the store: there, the process would end with a
 * segmentation fault and no word of why.
 *
 * @example
 * ```ts
 * const config = await exitOnConfigError(() => {
 *   checkRuntime()
 *   return loadConfig(process.env)
 * })
 * ```
 */
export function checkRuntime(versions: NodeJS.ProcessVersions = process.versions): void {
  if (Number(versions.napi) >= NODE_API_NEEDED) return
  throw new ConfigError([
    `Node ${versions.node} is too old for the server: it needs Node 22.14 or later ` +
      `(Node-API ${NODE_API_NEEDED}, for better-sqlite3)`,
  ])
}
