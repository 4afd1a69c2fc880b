import { ChatIcon } from './icons.tsx'

/** An agent's icon from the agents file: an image URL, an emoji or text; a chat bubble without. */
export function AgentIcon({ icon }: { icon: string | undefined }) {
  if (!icon)
    return (
      <span className="agent-icon">
        <ChatIcon />
      </span>
    )
  if (/^(https?:|data:|\/)/.test(icon))
    return <img className="agent-icon" src={icon} alt="" width={20} height={20} />
  return <span className="agent-icon">{icon}</span>
}
