import { Hono } from 'hono'
import type { AgentRegistry } from '../../domain/agent-registry.ts'
import type { AppEnv } from '../app-env.ts'
import type { Guard } from '../security/guard.ts'
import { typedJson } from '../typed-json.ts'
import type { OpenApiValidator } from '../validation/index.ts'

export interface AgentRoutesOptions {
  agents: AgentRegistry
  guard: Guard
  validator: OpenApiValidator
}

/** The Agents operations of openapi.yaml: the agents of the agents file. */
export function agentRoutes({ agents, guard, validator }: AgentRoutesOptions): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/agents', guard.for('get_agents'), validator.for('get_agents'), (c) =>
      typedJson(c, 'get_agents', 200, { agents: agents.list().map((agent) => agent.profile) }),
    )
    .get('/agents/:agent_id', guard.for('get_agent'), validator.for('get_agent'), (c) => {
      const agent = agents.get(c.req.valid('param').agent_id)
      if (!agent) return typedJson(c, 'get_agent', 404, { detail: 'Agent not found' })
      return typedJson(c, 'get_agent', 200, agent.profile)
    })
}
