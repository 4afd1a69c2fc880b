import { bootServer } from './boot.ts'
import { exitOnConfigError, loadConfig } from './config/load-config.ts'
import { listen } from './http/node-server.ts'
import { createJsonLogger } from './logger.ts'
import { listenMetrics } from './observability/metrics-server.ts'
import { checkRuntime } from './runtime-check.ts'

/** The process entry: reads the environment, listens, and shuts down cleanly on a signal. */
async function main(): Promise<void> {
  const config = await exitOnConfigError(() => {
    checkRuntime()
    return loadConfig(process.env)
  })
  const logger = createJsonLogger(config.logLevel, undefined, { traceIds: config.tracing })
  // A bad agents or keys file is reported like a bad variable.
  const server = await exitOnConfigError(() => bootServer(config, logger))

  const http = listen(server.app.fetch, config, (info) =>
    logger.info('listening', { url: `http://${config.host}:${info.port}`, port: info.port }),
  )

  const metricsPort = config.metricsPort
  const metricsHttp =
    server.metrics && metricsPort !== undefined
      ? listenMetrics(server.metrics, { host: config.metricsHost, port: metricsPort }, (info) =>
          logger.info('serving metrics', {
            url: `http://${config.metricsHost}:${info.port}/metrics`,
            port: info.port,
          }),
        )
      : undefined

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
    // Stop accepting connections; in-flight requests finish while runs drain, and the store
    // closes only once the last of them is answered (one still reading its body may yet write).
    const closed = new Promise<void>((resolve) => http.close(() => resolve()))
    await server.shutdown(config.shutdownTimeoutMs)
    await closed
    metricsHttp?.close()
    await server.close()
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

await main()
