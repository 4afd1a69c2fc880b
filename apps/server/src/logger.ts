import type { LogLevel } from './config/config.ts'

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

/**
 * Structured logs: one JSON object a line, for log collectors to parse.
 *
 * @example
 * ```ts
 * const logger = createJsonLogger('info')
 * logger.info('listening', { port: 8000 }) // {"time":"…","level":"info","msg":"listening","port":8000}
 * ```
 */
export function createJsonLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const log = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return
    const entry = { time: new Date().toISOString(), level: at, msg: message, ...fields }
    write(`${JSON.stringify(entry)}\n`)
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}
