/** Size limits on request bodies, enforced while the body is read. */
export interface BodyLimits {
  /** Largest single uploaded file. */
  maxFileBytes: number
  /** Most files in one request. */
  maxFiles: number
  /** Largest multipart request body, all parts together. */
  maxRequestBytes: number
  /** Largest JSON request body. */
  maxJsonBytes: number
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface ServerConfig {
  port: number
  host: string
  /** Where the SQLite database lives when DATABASE_URL does not say otherwise. */
  dataDir: string
  /** `sqlite:<path>`; unset means `<dataDir>/uxmate.sqlite`. */
  databaseUrl: string | undefined
  limits: BodyLimits
  /** How long POST and PUT wait for a run before answering with the session still `Running`. */
  runWaitMs: number
  /** How long a run may take before it is stopped and the session `Flushed`. */
  runTimeoutMs: number
  /** How long shutdown waits for in-flight requests and runs. */
  shutdownTimeoutMs: number
  /** The echo agent's pause between words, so streaming can be watched. */
  echoDelayMs: number
  logLevel: LogLevel
}

const MiB = 1024 * 1024

export const defaultConfig: ServerConfig = {
  port: 8000,
  host: '127.0.0.1',
  dataDir: './data',
  databaseUrl: undefined,
  limits: {
    maxFileBytes: 10 * MiB,
    maxFiles: 10,
    maxRequestBytes: 25 * MiB,
    maxJsonBytes: 1 * MiB,
  },
  runWaitMs: 30_000,
  runTimeoutMs: 120_000,
  shutdownTimeoutMs: 10_000,
  echoDelayMs: 0,
  logLevel: 'info',
}
