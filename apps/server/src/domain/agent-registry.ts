import type { Agent } from './agent.ts'

/** The agents this server knows, by id. */
export interface AgentRegistry {
  get(id: string): Agent | undefined
  list(): Agent[]
}

/**
 * @example
 * ```ts
 * const agents = createAgentRegistry([createEchoAgent({ delayMs: 0 })])
 * agents.get('echo')?.profile.name // 'Echo'
 * ```
 */
export function createAgentRegistry(agents: Agent[]): AgentRegistry {
  const byId = new Map<string, Agent>()
  for (const agent of agents) {
    if (byId.has(agent.profile.id)) throw new Error(`Two agents have the id '${agent.profile.id}'`)
    byId.set(agent.profile.id, agent)
  }
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
  }
}
