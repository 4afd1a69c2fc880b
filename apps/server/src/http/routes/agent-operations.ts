import type { AgentRegistry } from '../../domain/agent-registry.ts'
import type { SessionService } from '../../domain/session-service.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toFeedbackEntry } from '../presenters.ts'
import { validationError } from '../validation/index.ts'

/**
 * The handlers of the Agents operations of openapi.yaml: the agents of the agents file, and
 * the ratings the owner gave their replies.
 */
export function agentOperations(
  agents: AgentRegistry,
  sessions: SessionService,
): OperationHandler[] {
  return [
    operation('get_agents', (c) =>
      c.json({ agents: agents.list().map((agent) => agent.profile) }, 200),
    ),
    operation('get_agent', (c) => {
      const agent = agents.get(c.req.valid('param').agent_id)
      if (!agent) return c.json({ detail: 'Agent not found' }, 404)
      return c.json(agent.profile, 200)
    }),
    operation('get_agent_feedback', async (c) => {
      const { agent_id } = c.req.valid('param')
      const query = c.req.valid('query')
      const { rating, limit = 50, cursor } = query
      const invalid = (loc: 'from' | 'to' | 'cursor', message: string, input: unknown) =>
        c.json(validationError(['query', loc], message, input), 422)
      // RFC 3339 allows a leap second (`23:59:60`), which a JavaScript date cannot hold.
      const range = {
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
      }
      for (const loc of ['from', 'to'] as const)
        if (Number.isNaN(range[loc]?.getTime())) return invalid(loc, 'Invalid date', query[loc])
      const page = await sessions.feedback({
        owner: c.get('owner'),
        agentId: agent_id,
        ...(range.from && { from: range.from }),
        ...(range.to && { to: range.to }),
        ...(rating && { rating }),
        limit,
        cursor,
      })
      if (page === 'agent_not_found') return c.json({ detail: 'Agent not found' }, 404)
      if (page === 'invalid_cursor') return invalid('cursor', 'Invalid cursor', cursor)
      if (page === 'empty_range') return invalid('from', 'from must be before to', query.from)
      return c.json(
        {
          agent_id,
          from: page.from.toISOString(),
          to: page.to.toISOString(),
          totals: page.totals,
          feedback: page.entries.map(toFeedbackEntry),
          ...(page.nextCursor && { next_cursor: page.nextCursor }),
        },
        200,
      )
    }),
  ]
}
