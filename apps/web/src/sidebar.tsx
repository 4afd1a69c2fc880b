import type { GroupedSessionsResponse, SessionSummary, UxmateClient } from '@uxmate/client'
import { useState } from 'react'
import { AgentIcon } from './agent-icon.tsx'
import { PencilIcon, TrashIcon } from './icons.tsx'

interface SidebarProps {
  client: UxmateClient
  groups: GroupedSessionsResponse['time_to_sessions']
  openChatId: string | undefined
  onOpen(id: string): void
  onNew(): void
  /** After a rename or a delete: the sessions are read again. */
  onChanged(): void
  onError(error: unknown): void
}

/** The owner's sessions by recency (in the browser's time zone), newest first. */
export function Sidebar(props: SidebarProps) {
  const groups = Object.entries(props.groups)
  return (
    <nav className="sidebar" aria-label="Sessions">
      <button type="button" className="new-chat" onClick={props.onNew}>
        + New chat
      </button>
      {groups.length === 0 && <p className="empty">No sessions yet.</p>}
      {groups.map(([bucket, sessions]) => (
        <section key={bucket} className="group">
          <h2>{bucket}</h2>
          <ul>
            {sessions.map((session) => (
              <SessionItem key={session.id} session={session} {...props} />
            ))}
          </ul>
        </section>
      ))}
    </nav>
  )
}

function SessionItem(props: SidebarProps & { session: SessionSummary }) {
  const { session, client } = props
  const [editing, setEditing] = useState(false)
  const [name, setName] = useState(session.name)
  const rename = async () => {
    setEditing(false)
    if (name.trim() === '' || name === session.name) return setName(session.name)
    try {
      await client.sessions.renameSession(session.id, { name })
      props.onChanged()
    } catch (error) {
      setName(session.name)
      props.onError(error)
    }
  }
  const remove = async () => {
    if (!window.confirm(`Delete “${session.name}” and its messages for good?`)) return
    try {
      await client.sessions.deleteSession(session.id)
      if (props.openChatId === session.id) props.onNew()
      props.onChanged()
    } catch (error) {
      props.onError(error)
    }
  }
  return (
    <li className={props.openChatId === session.id ? 'session open' : 'session'}>
      {editing ? (
        <input
          aria-label="Session name"
          value={name}
          maxLength={200}
          // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to rename.
          autoFocus
          onChange={(event) => setName(event.target.value)}
          onBlur={rename}
          onKeyDown={(event) => {
            if (event.key === 'Enter') void rename()
            if (event.key === 'Escape') {
              setName(session.name)
              setEditing(false)
            }
          }}
        />
      ) : (
        <button type="button" className="session-name" onClick={() => props.onOpen(session.id)}>
          <AgentIcon icon={session.agent.icon} />
          {session.name}
        </button>
      )}
      <span className="session-actions">
        <button
          type="button"
          title="Rename"
          aria-label={`Rename ${session.name}`}
          onClick={() => setEditing(true)}
        >
          <PencilIcon />
        </button>
        <button type="button" title="Delete" aria-label={`Delete ${session.name}`} onClick={remove}>
          <TrashIcon />
        </button>
      </span>
    </li>
  )
}
