import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { apiKeyCommand } from './api-key-command.ts'
import { defaultConfig, type LogLevel, type ServerConfig } from './config.ts'
import { isLoopbackHost } from './loopback.ts'

/** Thrown when the environment holds values the server cannot start with; lists every one. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Runs a start-up step; a `ConfigError` ends the process with its message and exit code 2 (a
 * configuration mistake, not a crash: no stack trace). Other errors pass through.
 *
 * @example
 * ```ts
 * const config = await exitOnConfigError(() => loadConfig(process.env))
 * ```
 */
export async function exitOnConfigError<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(2)
  }
}

const logLevels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

/** Which store a DATABASE_URL names, or `undefined` when it names none. */
export function databaseKind(url: string): 'sqlite' | 'postgres' | undefined {
  if (url.startsWith('sqlite:')) return 'sqlite'
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres'
  return undefined
}

/** The URL without its password, to show in messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@')
}

/**
 * Whether the standard OpenTelemetry variables ask for traces: `OTEL_TRACES_EXPORTER=otlp`, or
 * an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with no
 * exporter named; never with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Unlike the
 * SDK's own default (`otlp`), nothing set means no traces. What the server cannot export
 * (another exporter, gRPC) is a problem, not silence.
 *
 * @example
 * ```ts
 * tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, problems) // true
 * ```
 */
export function tracingWanted(
  env: Record<string, string | undefined>,
  problems: string[],
): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
  const unknown = exporters.filter((name) => name !== 'otlp' && name !== 'none')
  if (unknown.length > 0)
    problems.push(
      `OTEL_TRACES_EXPORTER must be otlp or none (the server exports traces over OTLP only), got '${env.OTEL_TRACES_EXPORTER}'`,
    )
  const wanted =
    exporters.length > 0
      ? exporters.includes('otlp')
      : Boolean(
          env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim(),
        )
  if (!wanted) return false
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[name]?.trim()
    if (protocol && protocol !== 'http/protobuf')
      problems.push(
        `${name} must be http/protobuf (the exporter the server ships), got '${protocol}'`,
      )
  }
  return true
}

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

  const webAppDir = (): string | undefined => {
    const dir = env.WEB_APP_DIR?.trim()
    if (!dir) return defaultConfig.webAppDir
    if (!existsSync(join(dir, 'index.html')))
      problems.push(`WEB_APP_DIR must name a built web app (with index.html), got '${dir}'`)
    return dir
  }

  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase()
    if (raw === undefined || raw === '') return fallback
    if (['true', '1', 'yes'].includes(raw)) return true
    if (['false', '0', 'no'].includes(raw)) return false
    problems.push(`${name} must be true or false, got '${env[name]}'`)
    return fallback
  }

  const origins = (name: string): string[] => {
    const list = (env[name] ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '')
    for (const origin of list) {
      // An origin is scheme://host[:port], nothing more: a path or a trailing slash never
      // matches what a browser sends, and would silently allow nobody.
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin))
        problems.push(
          `${name} must list origins like https://app.example.com or *, got '${origin}'`,
        )
    }
    return list
  }

  const hosts = (name: string): string[] => {
    const list = (env[name] ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter((host) => host !== '')
    for (const host of list) {
      // What a Host header holds: a name or an address, and maybe a port; never a scheme or path.
      if (host !== '*' && !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/.test(host))
        problems.push(
          `${name} must list host names like sessions.example.com or sessions.example.com:8443, got '${host}'`,
        )
    }
    return list
  }

  const logLevel = text('LOG_LEVEL', defaultConfig.logLevel) as LogLevel
  if (!logLevels.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${logLevels.join(', ')}, got '${logLevel}'`)

  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  if (databaseUrl && databaseKind(databaseUrl) === undefined)
    problems.push(
      `DATABASE_URL must be a sqlite: URL (e.g. sqlite:./data/uxmate.sqlite) or a postgres:// URL, got '${redactUrl(databaseUrl)}'`,
    )

  const limits = defaultConfig.limits
  const hooks = defaultConfig.webhooks
  const config: ServerConfig = {
    port: integer('PORT', defaultConfig.port, 0, 65_535),
    host: text('HOST', defaultConfig.host),
    dataDir: text('DATA_DIR', defaultConfig.dataDir),
    databaseUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', defaultConfig.databasePoolSize, 1, 1000),
    maxWaitingReads: integer('MAX_WAITING_READS', defaultConfig.maxWaitingReads, 0, 100_000),
    runLeaseMs: integer('RUN_LEASE_MS', defaultConfig.runLeaseMs, 100, 3_600_000),
    limits: {
      maxFileBytes: integer('MAX_FILE_BYTES', limits.maxFileBytes, 1, 2 ** 31),
      maxFiles: integer('MAX_FILES', limits.maxFiles, 0, 1000),
      maxRequestBytes: integer('MAX_REQUEST_BYTES', limits.maxRequestBytes, 1, 2 ** 31),
      maxJsonBytes: integer('MAX_JSON_BYTES', limits.maxJsonBytes, 1, 2 ** 31),
      maxFormFields: integer('MAX_FORM_FIELDS', limits.maxFormFields ?? 16, 1, 1000),
      maxFieldBytes: integer('MAX_FIELD_BYTES', limits.maxFieldBytes ?? 512 * 1024, 1, 2 ** 31),
      uploadBufferBytes: integer(
        'UPLOAD_BUFFER_BYTES',
        limits.uploadBufferBytes ?? 2 ** 40,
        1,
        2 ** 40,
      ),
    },
    maxSessionMessages: integer(
      'MAX_SESSION_MESSAGES',
      defaultConfig.maxSessionMessages,
      2,
      10_000_000,
    ),
    maxQueuedTurns: integer('MAX_QUEUED_TURNS', defaultConfig.maxQueuedTurns, 1, 1_000),
    maxSessionTextBytes: integer(
      'MAX_SESSION_TEXT_BYTES',
      defaultConfig.maxSessionTextBytes,
      1,
      2 ** 40,
    ),
    agentImageBytes: integer('AGENT_IMAGE_BYTES', defaultConfig.agentImageBytes, 0, 2 ** 31),
    runWaitMs: integer('RUN_WAIT_MS', defaultConfig.runWaitMs, 0, 600_000),
    runTimeoutMs: integer('RUN_TIMEOUT_MS', defaultConfig.runTimeoutMs, 1, 3_600_000),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', defaultConfig.shutdownTimeoutMs, 0, 600_000),
    echoDelayMs: integer('ECHO_DELAY_MS', defaultConfig.echoDelayMs, 0, 60_000),
    agentsFile: text('AGENTS_FILE', defaultConfig.agentsFile),
    webAppDir: webAppDir(),
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
    readCacheBytes: integer('READ_CACHE_BYTES', defaultConfig.readCacheBytes, 0, 2 ** 31),
    apiKeysFile: env.API_KEYS_FILE?.trim() || undefined,
    allowAnonymous: flag('ALLOW_ANONYMOUS', defaultConfig.allowAnonymous),
    rateLimitPerSecond: integer(
      'RATE_LIMIT_PER_SECOND',
      defaultConfig.rateLimitPerSecond,
      0,
      1_000_000,
    ),
    rateLimitBurst: integer('RATE_LIMIT_BURST', defaultConfig.rateLimitBurst, 1, 1_000_000),
    rateLimitBatch: integer('RATE_LIMIT_BATCH', defaultConfig.rateLimitBatch, 1, 1_000),
    authFailuresPerMinute: integer(
      'AUTH_FAILURES_PER_MINUTE',
      defaultConfig.authFailuresPerMinute,
      0,
      1_000_000,
    ),
    authFailuresBurst: integer(
      'AUTH_FAILURES_BURST',
      defaultConfig.authFailuresBurst,
      1,
      1_000_000,
    ),
    authFailureAddresses: integer(
      'AUTH_FAILURE_ADDRESSES',
      defaultConfig.authFailureAddresses,
      1,
      10_000_000,
    ),
    corsOrigins: origins('CORS_ORIGINS'),
    allowedHosts: hosts('ALLOWED_HOSTS'),
    maxHeaderBytes: integer('MAX_HEADER_BYTES', defaultConfig.maxHeaderBytes, 1024, 1024 * 1024),
    headersTimeoutMs: integer('HEADERS_TIMEOUT_MS', defaultConfig.headersTimeoutMs, 100, 600_000),
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', defaultConfig.requestTimeoutMs, 100, 3_600_000),
    webhooks: {
      file: env.WEBHOOKS_FILE?.trim() || undefined,
      timeoutMs: integer('WEBHOOK_TIMEOUT_MS', hooks.timeoutMs, 100, 600_000),
      concurrency: integer('WEBHOOK_CONCURRENCY', hooks.concurrency, 1, 1000),
      pollMs: integer('WEBHOOK_POLL_MS', hooks.pollMs, 10, 3_600_000),
      retryBaseMs: integer('WEBHOOK_RETRY_BASE_MS', hooks.retryBaseMs, 1, 3_600_000),
      retryMaxMs: integer('WEBHOOK_RETRY_MAX_MS', hooks.retryMaxMs, 1, 86_400_000),
      maxAgeMs: integer('WEBHOOK_MAX_AGE_MS', hooks.maxAgeMs, 1, 7 * 86_400_000),
      retentionMs: integer('WEBHOOK_RETENTION_MS', hooks.retentionMs, 1, 366 * 86_400_000),
      allowPrivateAddresses: flag('WEBHOOK_ALLOW_PRIVATE_ADDRESSES', hooks.allowPrivateAddresses),
    },
    logLevel,
    metricsPort:
      env.METRICS_PORT?.trim() || undefined
        ? integer('METRICS_PORT', 0, 0, 65_535)
        : defaultConfig.metricsPort,
    metricsHost: text('METRICS_HOST', defaultConfig.metricsHost),
    tracing: tracingWanted(env, problems),
  }
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (config.headersTimeoutMs > config.requestTimeoutMs)
    problems.push(
      `HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must not be more than REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`,
    )
  if (
    config.metricsPort !== undefined &&
    config.metricsPort !== 0 &&
    config.metricsPort === config.port &&
    config.metricsHost === config.host
  )
    problems.push(
      `METRICS_PORT (${config.metricsPort}) must differ from PORT: the metrics listen apart from the API`,
    )
  if (config.webhooks.retryBaseMs > config.webhooks.retryMaxMs)
    problems.push(
      `WEBHOOK_RETRY_BASE_MS (${config.webhooks.retryBaseMs}) must not be more than WEBHOOK_RETRY_MAX_MS (${config.webhooks.retryMaxMs})`,
    )
  // A failed delivery's record lasts at least as long as one is tried: the owner looking into
  // an outage sees every delivery of it, those given up beside those still pending.
  if (config.webhooks.retentionMs < config.webhooks.maxAgeMs)
    problems.push(
      `WEBHOOK_RETENTION_MS (${config.webhooks.retentionMs}) must not be less than WEBHOOK_MAX_AGE_MS (${config.webhooks.maxAgeMs})`,
    )
  if (!config.apiKeysFile && !config.allowAnonymous && !isLoopbackHost(config.host))
    problems.push(
      `HOST is '${config.host}', which other machines may reach, and no API_KEYS_FILE is set: ` +
        'anyone could read and change every session. Set API_KEYS_FILE (mint a key with ' +
        `\`${apiKeyCommand()} <owner>\`), listen on 127.0.0.1, or set ` +
        'ALLOW_ANONYMOUS=true to run open anyway',
    )
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}
