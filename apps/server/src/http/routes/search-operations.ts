import type { AgentRegistry } from '../../domain/agent-registry.ts'
import { MAX_SEARCH_TERMS } from '../../domain/search-query.ts'
import { sessionFilter } from '../../domain/session-filter.ts'
import type { SearchProblem } from '../../domain/session-search.ts'
import type { SessionService } from '../../domain/session-service.ts'
import { keptRead, type OperationHandler } from '../operations/operation-handler.ts'
import { toSearchHit } from '../presenters.ts'
import { validationError } from '../validation/index.ts'

const PROBLEMS: Record<SearchProblem, { loc: 'q' | 'cursor'; message: string }> = {
  no_terms: { loc: 'q', message: 'The query has no word to look for' },
  too_many_terms: { loc: 'q', message: `The query has more than ${MAX_SEARCH_TERMS} terms` },
  invalid_cursor: { loc: 'cursor', message: 'Invalid cursor' },
}

/** The handler of `search_sessions`: the owner's hits for a query, a page at a time. */
export function searchOperations(options: {
  sessions: SessionService
  agents: AgentRegistry
}): OperationHandler[] {
  const { sessions, agents } = options
  return [
    keptRead('search_sessions', async (c) => {
      const query = c.req.valid('query')
      const { q, agent_id, limit = 20, cursor, ...filters } = query
      const found = await sessions.search({
        owner: c.get('owner'),
        q,
        ...(agent_id !== undefined && { agentId: agent_id }),
        filter: sessionFilter(filters),
        limit,
        ...(cursor !== undefined && { cursor }),
      })
      if (typeof found === 'string') {
        const { loc, message } = PROBLEMS[found]
        return c.json(validationError(['query', loc], message, query[loc]), 422)
      }
      const body = {
        hits: found.hits.map((hit) => toSearchHit(hit, agents)),
        ...(found.nextCursor && { next_cursor: found.nextCursor }),
      }
      return { body }
    }),
  ]
}
