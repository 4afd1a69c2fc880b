/**
 * `client.agents`: the Agents operations, the agents users can talk to.
 */
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import { paginate } from './pagination.ts'
import type { PathParams, QueryParams, ResponseData } from './types.ts'

type AgentId = PathParams<'get_agent'>['agent_id']
type FeedbackPage = ResponseData<'get_agent_feedback'>
type FeedbackEntry = FeedbackPage['feedback'][number]

/** The methods of `client.agents`. */
export interface AgentsApi {
  /**
   * `GET /agents` (`get_agents`): every agent of the server, in its configured order.
   *
   * @example
   * ```ts
   * const { agents } = await client.agents.getAgents()
   * for (const agent of agents) console.log(agent.id, agent.name, agent.welcome_message)
   * ```
   */
  getAgents(options?: RequestOptions): Promise<ResponseData<'get_agents'>>

  /**
   * `GET /agents/{agent_id}` (`get_agent`): one agent; `404` (`UxmateApiError`) when unknown.
   *
   * @example
   * ```ts
   * const agent = await client.agents.getAgent('echo')
   * ```
   */
  getAgent(agent_id: AgentId, options?: RequestOptions): Promise<ResponseData<'get_agent'>>

  /**
   * `GET /agents/{agent_id}/feedback` (`get_agent_feedback`): one page of the ratings of the
   * agent's replies in a range (default: the last 30 days), newest first, with the range's
   * `totals`. Pass `next_cursor` back as `cursor`, or use `iterateAgentFeedback`.
   *
   * @example
   * ```ts
   * const { totals } = await client.agents.getAgentFeedback('echo', { from: '2026-11-01T00:00:00Z' })
   * console.log(`${totals.down} of ${totals.up + totals.down} replies rated down`)
   * ```
   */
  getAgentFeedback(
    agent_id: AgentId,
    query?: QueryParams<'get_agent_feedback'>,
    options?: RequestOptions,
  ): Promise<FeedbackPage>

  /**
   * Every rating of the agent's replies in the range, across all pages of `getAgentFeedback`;
   * a page is fetched only when the loop gets to it.
   *
   * @example
   * ```ts
   * for await (const entry of client.agents.iterateAgentFeedback('echo', { rating: 'down' })) {
   *   console.log(entry.session_id, entry.comment)
   * }
   * ```
   */
  iterateAgentFeedback(
    agent_id: AgentId,
    query?: QueryParams<'get_agent_feedback'>,
    options?: RequestOptions,
  ): AsyncGenerator<FeedbackEntry, void, undefined>
}

/** Builds `client.agents` on a call context. */
export function createAgentsApi(context: CallContext): AgentsApi {
  const { raw } = context
  const api: AgentsApi = {
    getAgents(options = {}) {
      return unwrap(
        'get_agents',
        raw.GET('/agents', {
          params: { header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    getAgent(agent_id, options = {}) {
      return unwrap(
        'get_agent',
        raw.GET('/agents/{agent_id}', {
          params: { path: { agent_id }, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    getAgentFeedback(agent_id, query = {}, options = {}) {
      return unwrap(
        'get_agent_feedback',
        raw.GET('/agents/{agent_id}/feedback', {
          params: { path: { agent_id }, query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    async *iterateAgentFeedback(agent_id, { cursor, ...query } = {}, options = {}) {
      const pages = paginate(
        (next) => api.getAgentFeedback(agent_id, { ...query, cursor: next }, options),
        cursor,
      )
      for await (const page of pages) yield* page.feedback
    },
  }
  return api
}
