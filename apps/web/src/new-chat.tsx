import type { Agent } from '@uxmate/client'
import { AgentIcon } from './agent-icon.tsx'

/** The agents of the server, each with its welcome message: pick one to start a chat. */
export function NewChat({ agents, onStart }: { agents: Agent[]; onStart(agentId: string): void }) {
  return (
    <div className="new-chat-page">
      <h1>Who do you want to talk to?</h1>
      <ul className="agents">
        {agents.map((agent) => (
          <li key={agent.id}>
            <button type="button" className="agent" onClick={() => onStart(agent.id)}>
              <AgentIcon icon={agent.icon} />
              <strong>{agent.name}</strong>
              {agent.welcome_message && <span className="welcome">{agent.welcome_message}</span>}
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}
