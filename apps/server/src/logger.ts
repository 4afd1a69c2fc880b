/**
 * The server's log: one JSON object a line on stdout, written by pino, in the fields log
 * collectors get from every line (`time` as ISO 8601, `level` by name, `msg`, then the line's
 * own fields). Credentials and what users wrote never reach it: `Authorization` headers and
 * prompt texts are redacted wherever they appear in a line's fields.
 */
import { trace } from '@opentelemetry/api'
import { type DestinationStream, pino } from 'pino'
import type { LogLevel } from './config/config.ts'
import type { LogFields, Logger } from './domain/logger.ts'

/** Field paths censored in every line, at the top and one level down. */
const REDACTED = [
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  'text_prompt',
  'prompt',
  'messages',
  '*.authorization',
  '*.Authorization',
  '*.text_prompt',
  '*.prompt',
  '*.messages',
]

/**
 * The ids of the span current where a line is written (the request's, a store call's, a run's),
 * by the names OpenTelemetry's log data model gives them; none outside any span.
 */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const { traceId, spanId, traceFlags } = span.spanContext()
  return {
    trace_id: traceId,
    span_id: spanId,
    trace_flags: traceFlags.toString(16).padStart(2, '0'),
  }
}

/**
 * Structured logs: one JSON object a line, for log collectors to parse. With `traceIds` (when
 * tracing is on), each line also carries the `trace_id` and `span_id` of the span it was
 * written in.
 *
 * @example
 * ```ts
 * const logger = createJsonLogger('info')
 * logger.info('listening', { port: 8000 }) // {"level":"info","time":"…","port":8000,"msg":"listening"}
 * ```
 */
export function createJsonLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
  options: { traceIds?: boolean } = {},
): Logger {
  const destination: DestinationStream = { write }
  const log = pino(
    {
      level,
      ...(options.traceIds && { mixin: traceIds }),
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    destination,
  )
  const at =
    (method: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) =>
      fields ? log[method](fields, message) : log[method](message)
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    writes: (level) => log.isLevelEnabled(level),
  }
}
