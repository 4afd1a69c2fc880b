import type { AgentRegistry } from '../../domain/agent-registry.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { typedJson } from '../typed-json.ts'

/** The handlers of the Agents operations of openapi.yaml: the agents of the agents file. */
export function agentOperations(agents: AgentRegistry): OperationHandler[] {
  return [
    operation('get_agents', (c) =>
      typedJson(c, 'get_agents', 200, { agents: agents.list().map((agent) => agent.profile) }),
    ),
    operation('get_agent', (c) => {
      const agent = agents.get(c.req.valid('param').agent_id)
      if (!agent) return typedJson(c, 'get_agent', 404, { detail: 'Agent not found' })
      return typedJson(c, 'get_agent', 200, agent.profile)
    }),
  ]
}
