import type { AgentRegistry } from '../../domain/agent-registry.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'

/** The handlers of the Agents operations of openapi.yaml: the agents of the agents file. */
export function agentOperations(agents: AgentRegistry): OperationHandler[] {
  return [
    operation('get_agents', (c) =>
      c.json({ agents: agents.list().map((agent) => agent.profile) }, 200),
    ),
    operation('get_agent', (c) => {
      const agent = agents.get(c.req.valid('param').agent_id)
      if (!agent) return c.json({ detail: 'Agent not found' }, 404)
      return c.json(agent.profile, 200)
    }),
  ]
}
