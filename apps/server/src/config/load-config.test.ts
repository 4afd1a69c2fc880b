import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultConfig } from './config.ts'
import { ConfigError, loadConfig } from './load-config.ts'

describe('loadConfig', () => {
  it('uses the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual(defaultConfig)
  })

  it('reads every setting', () => {
    const webApp = mkdtempSync(join(tmpdir(), 'uxmate-web-'))
    writeFileSync(join(webApp, 'index.html'), '<!doctype html>')
    const config = loadConfig({
      WEB_APP_DIR: webApp,
      PORT: '9000',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/uxmate',
      DATABASE_URL: 'sqlite:/tmp/x.sqlite',
      DATABASE_POOL_SIZE: '4',
      METRICS_PORT: '9464',
      METRICS_HOST: '10.0.0.5',
      RUN_LEASE_MS: '2000',
      MAX_FILE_BYTES: '100',
      MAX_FILES: '2',
      MAX_REQUEST_BYTES: '300',
      MAX_JSON_BYTES: '50',
      UPLOAD_BUFFER_BYTES: '4096',
      MAX_FORM_FIELDS: '8',
      MAX_FIELD_BYTES: '65536',
      MAX_SESSION_MESSAGES: '500',
      MAX_QUEUED_TURNS: '3',
      MAX_SESSION_TEXT_BYTES: '1000000',
      AGENT_IMAGE_BYTES: '1024',
      RUN_WAIT_MS: '10',
      RUN_TIMEOUT_MS: '20',
      SHUTDOWN_TIMEOUT_MS: '30',
      ECHO_DELAY_MS: '5',
      AGENTS_FILE: '/etc/uxmate/agents.json',
      AGENT_REQUEST_TIMEOUT_MS: '1000',
      AGENT_MAX_RETRIES: '0',
      AGENT_INLINE_FILE_BYTES: '4096',
      AGENT_TITLE_TIMEOUT_MS: '500',
      EVENTS_KEEPALIVE_MS: '250',
      EVENTS_RETENTION_MS: '0',
      READ_CACHE_BYTES: '0',
      API_KEYS_FILE: '/etc/uxmate/keys.yaml',
      ALLOW_ANONYMOUS: 'false',
      RATE_LIMIT_PER_SECOND: '0',
      RATE_LIMIT_BURST: '7',
      RATE_LIMIT_BATCH: '3',
      AUTH_FAILURES_PER_MINUTE: '3',
      AUTH_FAILURES_BURST: '4',
      AUTH_FAILURE_ADDRESSES: '500',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      ALLOWED_HOSTS: 'sessions.example.com, [::1]:8443',
      MAX_HEADER_BYTES: '8192',
      HEADERS_TIMEOUT_MS: '2000',
      REQUEST_TIMEOUT_MS: '3000',
      WEBHOOKS_FILE: '/etc/uxmate/webhooks.yaml',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_CONCURRENCY: '3',
      MAX_WAITING_READS: '50',
      WEBHOOK_POLL_MS: '200',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '60000',
      WEBHOOK_MAX_AGE_MS: '3600000',
      WEBHOOK_RETENTION_MS: '86400000',
      WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
      LOG_LEVEL: 'warn',
    })
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/var/lib/uxmate',
      databaseUrl: 'sqlite:/tmp/x.sqlite',
      databasePoolSize: 4,
      maxWaitingReads: 50,
      runLeaseMs: 2000,
      limits: {
        maxFileBytes: 100,
        maxFiles: 2,
        maxRequestBytes: 300,
        maxJsonBytes: 50,
        uploadBufferBytes: 4096,
        maxFormFields: 8,
        maxFieldBytes: 65_536,
      },
      runWaitMs: 10,
      runTimeoutMs: 20,
      shutdownTimeoutMs: 30,
      echoDelayMs: 5,
      agentsFile: '/etc/uxmate/agents.json',
      webAppDir: webApp,
      agentRequestTimeoutMs: 1000,
      agentMaxRetries: 0,
      agentInlineFileBytes: 4096,
      agentImageBytes: 1024,
      maxSessionMessages: 500,
      maxQueuedTurns: 3,
      maxSessionTextBytes: 1_000_000,
      agentTitleTimeoutMs: 500,
      eventsKeepAliveMs: 250,
      eventsRetentionMs: 0,
      readCacheBytes: 0,
      apiKeysFile: '/etc/uxmate/keys.yaml',
      allowAnonymous: false,
      rateLimitPerSecond: 0,
      rateLimitBurst: 7,
      rateLimitBatch: 3,
      authFailuresPerMinute: 3,
      authFailuresBurst: 4,
      authFailureAddresses: 500,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      allowedHosts: ['sessions.example.com', '[::1]:8443'],
      maxHeaderBytes: 8192,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      webhooks: {
        file: '/etc/uxmate/webhooks.yaml',
        timeoutMs: 2500,
        concurrency: 3,
        pollMs: 200,
        retryBaseMs: 100,
        retryMaxMs: 60_000,
        maxAgeMs: 3_600_000,
        retentionMs: 86_400_000,
        allowPrivateAddresses: true,
      },
      logLevel: 'warn',
      metricsPort: 9464,
      metricsHost: '10.0.0.5',
      tracing: false,
    })
  })

  it('traces only when the OTEL_* variables ask for OTLP, and refuses what it cannot export', () => {
    expect(loadConfig({}).tracing).toBe(false)
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
    expect(loadConfig(endpoint).tracing).toBe(true)
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).tracing,
    ).toBe(true)
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toBe(true)
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBe(false)
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBe(false)
    expect(loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).tracing).toBe(
      true,
    )
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER must be otlp or none .* got 'zipkin'/,
    )
    expect(() => loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf .* got 'grpc'/,
    )
    // Not wanted: its protocol does not matter.
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing).toBe(false)
  })

  it('keeps no metrics unless METRICS_PORT is set, and never on the API port', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined()
    expect(loadConfig({ METRICS_PORT: ' ' }).metricsPort).toBeUndefined()
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0)
    expect(loadConfig({ METRICS_PORT: '65535' }).metricsPort).toBe(65_535)
    expect(() => loadConfig({ METRICS_PORT: '65536' })).toThrow(
      /METRICS_PORT must be a whole number from 0 to 65535, got '65536'/,
    )
    expect(() => loadConfig({ METRICS_PORT: 'prometheus' })).toThrow(/METRICS_PORT/)
    expect(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' })).toThrow(
      /METRICS_PORT \(9000\) must differ from PORT/,
    )
    // Apart on another address: allowed.
    expect(
      loadConfig({ PORT: '9000', METRICS_PORT: '9000', METRICS_HOST: '127.0.0.2' }).metricsPort,
    ).toBe(9000)
  })

  it('takes MAX_WAITING_READS from 0 (none waits) to 100,000, refuses past them', () => {
    expect(defaultConfig.maxWaitingReads).toBe(1000)
    expect(loadConfig({ MAX_WAITING_READS: '0' }).maxWaitingReads).toBe(0)
    expect(loadConfig({ MAX_WAITING_READS: '100000' }).maxWaitingReads).toBe(100_000)
    for (const value of ['-1', '100001', 'many'])
      expect(() => loadConfig({ MAX_WAITING_READS: value }), value).toThrow('MAX_WAITING_READS')
  })

  it('takes the webhook settings up to their limits, refuses past them', () => {
    const most = loadConfig({
      WEBHOOK_TIMEOUT_MS: '600000',
      WEBHOOK_CONCURRENCY: '1000',
      WEBHOOK_MAX_AGE_MS: String(7 * 86_400_000),
      WEBHOOK_RETRY_BASE_MS: '3600000',
      WEBHOOK_RETRY_MAX_MS: '3600000',
      WEBHOOK_RETENTION_MS: String(366 * 86_400_000),
    }).webhooks
    expect([most.timeoutMs, most.concurrency, most.maxAgeMs, most.retentionMs]).toEqual([
      600_000, 1000, 604_800_000, 31_622_400_000,
    ])
    expect(defaultConfig.webhooks.retentionMs).toBe(30 * 86_400_000)
    // As short as the maximum age, the least.
    expect(
      loadConfig({ WEBHOOK_MAX_AGE_MS: '1', WEBHOOK_RETENTION_MS: '1' }).webhooks.retentionMs,
    ).toBe(1)
    expect(defaultConfig.webhooks.allowPrivateAddresses).toBe(false)
    for (const [name, value] of [
      ['WEBHOOK_TIMEOUT_MS', '600001'],
      ['WEBHOOK_CONCURRENCY', '0'],
      ['WEBHOOK_CONCURRENCY', '1001'],
      ['WEBHOOK_MAX_AGE_MS', String(7 * 86_400_000 + 1)],
      ['WEBHOOK_POLL_MS', '9'],
      ['WEBHOOK_RETENTION_MS', '0'],
      ['WEBHOOK_RETENTION_MS', String(366 * 86_400_000 + 1)],
      ['WEBHOOK_RETENTION_MS', '30 days'],
      ['WEBHOOK_ALLOW_PRIVATE_ADDRESSES', 'sometimes'],
    ] as const)
      expect(() => loadConfig({ [name]: value }), name).toThrow(name)
    expect(() =>
      loadConfig({ WEBHOOK_RETRY_BASE_MS: '2000', WEBHOOK_RETRY_MAX_MS: '1000' }),
    ).toThrow(/WEBHOOK_RETRY_BASE_MS \(2000\) must not be more than WEBHOOK_RETRY_MAX_MS \(1000\)/)
    expect(() =>
      loadConfig({ WEBHOOK_MAX_AGE_MS: '3600000', WEBHOOK_RETENTION_MS: '3599999' }),
    ).toThrow(
      /WEBHOOK_RETENTION_MS \(3599999\) must not be less than WEBHOOK_MAX_AGE_MS \(3600000\)/,
    )
  })

  it('takes RATE_LIMIT_BATCH from 1 to 1,000 tokens, refuses past them', () => {
    expect(defaultConfig.rateLimitBatch).toBe(5)
    expect(loadConfig({ RATE_LIMIT_BATCH: '1' }).rateLimitBatch).toBe(1)
    expect(loadConfig({ RATE_LIMIT_BATCH: '1000' }).rateLimitBatch).toBe(1000)
    for (const value of ['0', '1001', '2.5'])
      expect(() => loadConfig({ RATE_LIMIT_BATCH: value }), value).toThrow('RATE_LIMIT_BATCH')
  })

  it('runs open (no API keys) only on a loopback address, unless ALLOW_ANONYMOUS says so', () => {
    for (const HOST of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(loadConfig({ HOST }).host).toBe(HOST)
    for (const HOST of ['0.0.0.0', '::', '192.168.1.20', 'example.com', '::ffff:10.0.0.1']) {
      expect(() => loadConfig({ HOST }), HOST).toThrow(/no API_KEYS_FILE is set.*ALLOW_ANONYMOUS/)
      expect(loadConfig({ HOST, ALLOW_ANONYMOUS: 'true' }).allowAnonymous).toBe(true)
      expect(loadConfig({ HOST, API_KEYS_FILE: 'keys.yaml' }).apiKeysFile).toBe('keys.yaml')
    }
  })

  it('refuses CORS origins a browser never sends, and headers allowed longer than requests', () => {
    const attempt = () =>
      loadConfig({
        CORS_ORIGINS: 'https://ok.example.com,https://app.example.com/,app.example.com',
        HEADERS_TIMEOUT_MS: '5000',
        REQUEST_TIMEOUT_MS: '1000',
        ALLOW_ANONYMOUS: 'maybe',
      })
    expect(attempt).toThrow(ConfigError)
    try {
      attempt()
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "ALLOW_ANONYMOUS must be true or false, got 'maybe'",
        "CORS_ORIGINS must list origins like https://app.example.com or *, got 'https://app.example.com/'",
        "CORS_ORIGINS must list origins like https://app.example.com or *, got 'app.example.com'",
        'HEADERS_TIMEOUT_MS (5000) must not be more than REQUEST_TIMEOUT_MS (1000)',
      ])
    }
  })

  it('refuses ALLOWED_HOSTS entries a Host header never holds', () => {
    expect(loadConfig({}).allowedHosts).toEqual([])
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).allowedHosts).toEqual(['*'])
    expect(() => loadConfig({ ALLOWED_HOSTS: 'ok.example.com,https://app.example.com' })).toThrow(
      "ALLOWED_HOSTS must list host names like sessions.example.com or sessions.example.com:8443, got 'https://app.example.com'",
    )
  })

  it('queues 10 turns per session unless told otherwise, from 1 to 1000', () => {
    expect(loadConfig({}).maxQueuedTurns).toBe(10)
    expect(loadConfig({ MAX_QUEUED_TURNS: '1' }).maxQueuedTurns).toBe(1)
    expect(loadConfig({ MAX_QUEUED_TURNS: '1000' }).maxQueuedTurns).toBe(1_000)
    for (const value of ['0', '1001'])
      expect(() => loadConfig({ MAX_QUEUED_TURNS: value })).toThrow(
        new RegExp(`MAX_QUEUED_TURNS must be a whole number from 1 to 1000, got '${value}'`),
      )
  })

  it('buffers 16 MiB of uploads at once unless told otherwise, and at least a byte', () => {
    expect(loadConfig({}).limits.uploadBufferBytes).toBe(16 * 1024 * 1024)
    expect(() => loadConfig({ UPLOAD_BUFFER_BYTES: '0' })).toThrow(
      "UPLOAD_BUFFER_BYTES must be a whole number from 1 to 1099511627776, got '0'",
    )
    expect(() => loadConfig({ UPLOAD_BUFFER_BYTES: '32MiB' })).toThrow(ConfigError)
  })

  it('names every bad value at once', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', MAX_FILES: '-1', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })
    expect(attempt).toThrow(ConfigError)
    try {
      attempt()
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "LOG_LEVEL must be one of debug, info, warn, error, silent, got 'loud'",
        "DATABASE_URL must be a sqlite: URL (e.g. sqlite:./data/uxmate.sqlite) or a postgres:// URL, got 'mysql://x'",
        "PORT must be a whole number from 0 to 65535, got 'eighty'",
        "MAX_FILES must be a whole number from 0 to 1000, got '-1'",
      ])
    }
  })

  it('refuses a WEB_APP_DIR without a built app in it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'uxmate-web-'))
    expect(() => loadConfig({ WEB_APP_DIR: empty })).toThrow(
      `WEB_APP_DIR must name a built web app (with index.html), got '${empty}'`,
    )
  })

  it('takes a postgres:// URL, and never shows its password', () => {
    for (const url of ['postgres://u:p@db:5432/uxmate', 'postgresql://db/uxmate?sslmode=require'])
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db/x' })).toThrow(
      "got 'mysql://u:***@db/x'",
    )
  })
})
