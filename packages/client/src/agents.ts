/**
 * `client.agents`: the Agents operations, the agents users can talk to.
 */
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import type { PathParams, ResponseData } from './types.ts'

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
  getAgent(
    agent_id: PathParams<'get_agent'>['agent_id'],
    options?: RequestOptions,
  ): Promise<ResponseData<'get_agent'>>
}

/** Builds `client.agents` on a call context. */
export function createAgentsApi(context: CallContext): AgentsApi {
  const { raw } = context
  return {
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
  }
}
