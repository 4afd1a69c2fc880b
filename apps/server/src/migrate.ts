/**
 * Applies the store's pending migrations and exits: `pnpm --filter @uxmate/server migrate`, or
 * `node dist/migrate.js` in a deployed build. The server also applies them when it starts.
 */

import { exitOnConfigError, loadConfig, redactUrl } from './config/load-config.ts'
import { systemClock } from './domain/clock.ts'
import { createJsonLogger } from './logger.ts'
import { checkRuntime } from './runtime-check.ts'
import { openStorage, sqlitePath } from './storage/open-store.ts'

const config = await exitOnConfigError(() => {
  checkRuntime()
  return loadConfig(process.env)
})
const logger = createJsonLogger(config.logLevel)
// A SQLite file a running server has open is refused (StoreInUseError, exit code 2).
const storage = await exitOnConfigError(() => openStorage(config, logger, systemClock))
const database =
  storage.kind === 'postgres' ? redactUrl(config.databaseUrl ?? '') : sqlitePath(config)
try {
  await storage.store.migrate()
  logger.info('migrations applied', { store: storage.kind, database })
} catch (error) {
  logger.error('migrations failed', { store: storage.kind, database, error: String(error) })
  process.exitCode = 1
} finally {
  await storage.store.close()
}
