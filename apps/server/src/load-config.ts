import { defaultConfig, type LogLevel, type ServerConfig } from './config.ts'

/** Thrown when the environment holds values the server cannot start with; lists every one. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const logLevels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

/**
 * Reads the server's configuration from environment variables, with defaults for what is unset.
 *
 * @example
 * ```ts
 * const config = loadConfig({ PORT: '9000', HOST: '0.0.0.0' })
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  const problems: string[] = []

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`)
      return fallback
    }
    return value
  }

  const text = (name: string, fallback: string): string => env[name]?.trim() || fallback

  const logLevel = text('LOG_LEVEL', defaultConfig.logLevel) as LogLevel
  if (!logLevels.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got '${logLevel}'`)

  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  if (databaseUrl && !databaseUrl.startsWith('sqlite:'))
    problems.push(
      `DATABASE_URL must be a sqlite: URL (e.g. sqlite:./data/uxmate.sqlite), got '${databaseUrl}'`,
    )

  const limits = defaultConfig.limits
  const config: ServerConfig = {
    port: integer('PORT', defaultConfig.port, 0, 65_535),
    host: text('HOST', defaultConfig.host),
    dataDir: text('DATA_DIR', defaultConfig.dataDir),
    databaseUrl,
    limits: {
      maxFileBytes: integer('MAX_FILE_BYTES', limits.maxFileBytes, 1, 2 ** 31),
      maxFiles: integer('MAX_FILES', limits.maxFiles, 0, 1000),
      maxRequestBytes: integer('MAX_REQUEST_BYTES', limits.maxRequestBytes, 1, 2 ** 31),
      maxJsonBytes: integer('MAX_JSON_BYTES', limits.maxJsonBytes, 1, 2 ** 31),
    },
    runWaitMs: integer('RUN_WAIT_MS', defaultConfig.runWaitMs, 0, 600_000),
    runTimeoutMs: integer('RUN_TIMEOUT_MS', defaultConfig.runTimeoutMs, 1, 3_600_000),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', defaultConfig.shutdownTimeoutMs, 0, 600_000),
    echoDelayMs: integer('ECHO_DELAY_MS', defaultConfig.echoDelayMs, 0, 60_000),
    agentsFile: text('AGENTS_FILE', defaultConfig.agentsFile),
    agentRequestTimeoutMs: integer(
      'AGENT_REQUEST_TIMEOUT_MS',
      defaultConfig.agentRequestTimeoutMs,
      1,
      3_600_000,
    ),
    agentMaxRetries: integer('AGENT_MAX_RETRIES', defaultConfig.agentMaxRetries, 0, 10),
    agentInlineFileBytes: integer(
      'AGENT_INLINE_FILE_BYTES',
      defaultConfig.agentInlineFileBytes,
      0,
      2 ** 31,
    ),
    agentTitleTimeoutMs: integer(
      'AGENT_TITLE_TIMEOUT_MS',
      defaultConfig.agentTitleTimeoutMs,
      1,
      600_000,
    ),
    eventsKeepAliveMs: integer(
      'EVENTS_KEEPALIVE_MS',
      defaultConfig.eventsKeepAliveMs,
      1,
      3_600_000,
    ),
    eventsRetentionMs: integer(
      'EVENTS_RETENTION_MS',
      defaultConfig.eventsRetentionMs,
      0,
      3_600_000,
    ),
    logLevel,
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}
