import { bootServer } from './boot.ts'
import { listen } from './http/node-server.ts'
import { ConfigError, loadConfig } from './load-config.ts'
import { createJsonLogger } from './logger.ts'

/** The process entry: reads the environment, listens, and shuts down cleanly on a signal. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }
  const logger = createJsonLogger(config.logLevel)
  let server: Awaited<ReturnType<typeof bootServer>>
  try {
    server = await bootServer(config, logger)
  } catch (error) {
    // A bad agents file: say which entry and why, like a bad variable.
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }

  const http = listen(server.app.fetch, config, (info) =>
    logger.info('listening', { url: `http://${config.host}:${info.port}`, port: info.port }),
  )

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs + 5_000)
    deadline.unref()
    // Stop accepting connections; in-flight requests finish while runs drain.
    const closed = new Promise<void>((resolve) => http.close(() => resolve()))
    await server.close()
    await closed
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

await main()
