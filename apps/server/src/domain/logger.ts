/** Fields of a log line besides its message. */
export type LogFields = Record<string, unknown>

/**
 * Where every layer writes what an operator should know; `logger.ts` writes it as JSON lines.
 *
 * @example
 * ```ts
 * logger.warn('run failed', { session_id: id, code: 'timeout' })
 * ```
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** Whether lines of `level` are written: a caller may skip building a line nobody reads. */
  writes(level: 'debug' | 'info' | 'warn' | 'error'): boolean
}
