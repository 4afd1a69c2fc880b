import { describe, expect, it } from 'vitest'
import { defaultConfig } from './config.ts'
import { ConfigError, loadConfig } from './load-config.ts'

describe('loadConfig', () => {
  it('uses the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual(defaultConfig)
  })

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/uxmate',
      DATABASE_URL: 'sqlite:/tmp/x.sqlite',
      MAX_FILE_BYTES: '100',
      MAX_FILES: '2',
      MAX_REQUEST_BYTES: '300',
      MAX_JSON_BYTES: '50',
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
      LOG_LEVEL: 'warn',
    })
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/var/lib/uxmate',
      databaseUrl: 'sqlite:/tmp/x.sqlite',
      limits: { maxFileBytes: 100, maxFiles: 2, maxRequestBytes: 300, maxJsonBytes: 50 },
      runWaitMs: 10,
      runTimeoutMs: 20,
      shutdownTimeoutMs: 30,
      echoDelayMs: 5,
      agentsFile: '/etc/uxmate/agents.json',
      agentRequestTimeoutMs: 1000,
      agentMaxRetries: 0,
      agentInlineFileBytes: 4096,
      agentTitleTimeoutMs: 500,
      eventsKeepAliveMs: 250,
      eventsRetentionMs: 0,
      logLevel: 'warn',
    })
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
        "DATABASE_URL must be a sqlite: URL (e.g. sqlite:./data/uxmate.sqlite), got 'mysql://x'",
        "PORT must be a whole number from 0 to 65535, got 'eighty'",
        "MAX_FILES must be a whole number from 0 to 1000, got '-1'",
      ])
    }
  })
})
