import { dirname, join } from 'node:path'
import { benchEntry, openapiPath } from '../paths.ts'
import { type ServiceProcess, startService } from '../runtime/service-process.ts'

/**
 * Our server, from its production build, as it runs in production: through the `start.sh`
 * beside its `dist/` (the image's and `pnpm start`'s, with their process settings) and this
 * run's Node binary, configured by the environment, logging warnings only.
 *
 * @example
 * ```ts
 * const ours = await startOurServer({ dataDir, logDir })
 * ```
 */
export function startOurServer(options: {
  /** The build's `dist/main.js`, with `start.sh` beside its folder: see {@link snapshotServerBuild}. */
  main: string
  dataDir: string
  logDir: string
  env?: Record<string, string>
  /** Which of our servers this is, when two run at once (and its log file's name). */
  role?: string
}): Promise<ServiceProcess> {
  const role = options.role ?? 'server'
  return startService({
    name: `our ${role}`,
    // start.sh execs Node: the process started is the server, whose memory and CPU are read.
    command: 'sh',
    args: [join(dirname(dirname(options.main)), 'start.sh')],
    env: {
      NODE: process.execPath,
      NODE_ENV: 'production',
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'warn',
      ECHO_DELAY_MS: '0',
      // One client is every user here (the anonymous owner, no API keys): the per-owner rate
      // limit would answer 429 within a second. Set beyond reach, it still runs on every request.
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      ...options.env,
    },
    readyPath: '/ready',
    logPath: join(options.logDir, `${role.replaceAll(' ', '-')}.log`),
  })
}

/** The bare-Hono limit, replaying the bodies in `bodiesFile`. */
export function startLimitServer(options: {
  bodiesFile: string
  logDir: string
}): Promise<ServiceProcess> {
  return startService({
    name: 'bare Hono limit',
    args: ['--import', 'tsx', benchEntry('targets/bare-hono-main.ts')],
    env: { NODE_ENV: 'production', BODIES_FILE: options.bodiesFile },
    readyPath: '/health',
    logPath: join(options.logDir, 'limit.log'),
  })
}

/** The Express + express-openapi-validator peer over the SQLite file at `dbPath`. */
export function startPeerServer(options: {
  dbPath: string
  logDir: string
}): Promise<ServiceProcess> {
  return startService({
    name: 'Express peer',
    args: ['--import', 'tsx', benchEntry('targets/express-peer/peer-main.ts')],
    env: { NODE_ENV: 'production', DB_PATH: options.dbPath, OPENAPI_PATH: openapiPath },
    readyPath: '/health',
    logPath: join(options.logDir, 'peer.log'),
  })
}

/** The OpenAI-compatible fake that paces its tokens (see `paced-openai-main.ts`). */
export function startPacedOpenAiFake(options: {
  tokenMs: number
  tokens: number
  logDir: string
}): Promise<ServiceProcess> {
  return startService({
    name: 'paced OpenAI fake',
    args: ['--import', 'tsx', benchEntry('targets/paced-openai-main.ts')],
    env: {
      NODE_ENV: 'production',
      PACED_TOKEN_MS: String(options.tokenMs),
      PACED_TOKENS: String(options.tokens),
    },
    readyPath: '/health',
    logPath: join(options.logDir, 'paced-openai.log'),
  })
}
