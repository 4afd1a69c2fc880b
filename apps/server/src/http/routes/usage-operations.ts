import type { SessionService } from '../../domain/session-service.ts'
import { MAX_USAGE_RANGE_DAYS } from '../../domain/usage-report.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toUsageReport } from '../presenters.ts'
import { validationError } from '../validation/index.ts'

/** The handler of the Usage operation of openapi.yaml: the owner's token usage report. */
export function usageOperations(sessions: SessionService): OperationHandler[] {
  return [
    operation('get_usage', async (c) => {
      const query = c.req.valid('query')
      const { from, to, tz = 'UTC' } = query
      const invalid = (loc: 'tz' | 'from' | 'to', message: string, input: unknown) =>
        c.json(validationError(['query', loc], message, input), 422)
      // RFC 3339 allows a leap second (`23:59:60`), which a JavaScript date cannot hold.
      const range = {
        from: from === undefined ? undefined : new Date(from),
        to: to === undefined ? undefined : new Date(to),
      }
      for (const loc of ['from', 'to'] as const)
        if (Number.isNaN(range[loc]?.getTime())) return invalid(loc, 'Invalid date', query[loc])
      const report = await sessions.usage({
        owner: c.get('owner'),
        ...(range.from && { from: range.from }),
        ...(range.to && { to: range.to }),
        timeZone: tz,
      })
      if (report === 'unknown_time_zone') return invalid('tz', `Unknown time zone '${tz}'`, tz)
      if (report === 'empty_range') return invalid('from', 'from must be before to', from)
      if (report === 'range_too_long')
        return invalid('from', `The range is longer than ${MAX_USAGE_RANGE_DAYS} days`, from)
      return c.json(toUsageReport(report), 200)
    }),
  ]
}
