import { Hono } from 'hono'
import type { AgentRegistry } from '../../agents/agent-registry.ts'
import { typedJson } from '../typed-json.ts'
import type { OpenApiValidator } from '../validation/index.ts'

export interface AgentRoutesOptions {
  agents: AgentRegistry
  validator: OpenApiValidator
}

/** The Agents operations of openapi.yaml: the agents of the agents file. */
export function agentRoutes({ agents, validator }: AgentRoutesOptions): Hono {
  return new Hono()
    .get('/agents', validator.for('get_agents'), (c) =>
      typedJson(c, 'get_agents', 200, { agents: agents.list().map((agent) => agent.profile) }),
    )
    .get('/agents/:agent_id', validator.for('get_agent'), (c) => {
      const agent = agents.get(c.req.valid('param').agent_id)
      if (!agent) return typedJson(c, 'get_agent', 404, { detail: 'Agent not found' })
      return typedJson(c, 'get_agent', 200, agent.profile)
    })
}
