import type { GroupedSessionsResponse, SessionSummary, UxmateClient } from '@uxmate/client'
import { useState } from 'react'
import { AgentIcon } from './agent-icon.tsx'
import { ArchiveIcon, PencilIcon, PinIcon, TrashIcon } from './icons.tsx'
import { SessionSearch } from './session-search.tsx'

interface SidebarProps {
  client: UxmateClient
  grouped: GroupedSessionsResponse
  /** The archived sessions are shown instead of the others. */
  archived: boolean
  onShowArchived(archived: boolean): void
  openChatId: string | undefined
  onOpen(id: string): void
  onNew(): void
  /** After a change to a session: the sessions are read again. */
  onChanged(): void
  onError(error: unknown): void
}

/**
 * The owner's sessions: the pinned ones first, then by recency (in the browser's time zone),
 * newest first; or the archived ones, to bring one back.
 */
export function Sidebar(props: SidebarProps) {
  const { grouped } = props
  const [query, setQuery] = useState('')
  const groups = Object.entries(grouped.time_to_sessions)
  if (grouped.pinned && grouped.pinned.length > 0) groups.unshift(['Pinned', grouped.pinned])
  const searching = query.trim() !== ''
  return (
    <nav className="sidebar" aria-label="Sessions">
      <button type="button" className="new-chat" onClick={props.onNew}>
        + New chat
      </button>
      <input
        type="search"
        className="search"
        aria-label="Search sessions"
        placeholder="Search"
        value={query}
        maxLength={256}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') setQuery('')
        }}
      />
      {searching ? (
        <SessionSearch
          client={props.client}
          query={query}
          onOpen={props.onOpen}
          onError={props.onError}
        />
      ) : (
        <SessionGroups {...props} groups={groups} />
      )}
    </nav>
  )
}

/** The groups of sessions, and the way to the archived ones and back. */
function SessionGroups(props: SidebarProps & { groups: [string, SessionSummary[]][] }) {
  const { groups, archived } = props
  return (
    <>
      {archived && <h2 className="archived-title">Archived</h2>}
      {groups.length === 0 && (
        <p className="empty">{archived ? 'Nothing archived.' : 'No sessions yet.'}</p>
      )}
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
      <button
        type="button"
        className="show-archived"
        onClick={() => props.onShowArchived(!archived)}
      >
        {archived ? '← Back to sessions' : 'Archived sessions'}
      </button>
    </>
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
  /** Pins or archives (or undoes either): the server files the session anew. */
  const organise = async (change: { pinned?: boolean; archived?: boolean }) => {
    try {
      await client.sessions.renameSession(session.id, change)
      props.onChanged()
    } catch (error) {
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
        <button
          type="button"
          className="session-name"
          title={session.last_message_preview}
          onClick={() => props.onOpen(session.id)}
        >
          <AgentIcon icon={session.agent.icon} />
          {session.name}
        </button>
      )}
      <span className="session-actions">
        {!props.archived && (
          <button
            type="button"
            title={session.pinned ? 'Unpin' : 'Pin'}
            aria-label={`${session.pinned ? 'Unpin' : 'Pin'} ${session.name}`}
            aria-pressed={session.pinned === true}
            onClick={() => organise({ pinned: !session.pinned })}
          >
            <PinIcon />
          </button>
        )}
        <button
          type="button"
          title={props.archived ? 'Unarchive' : 'Archive'}
          aria-label={`${props.archived ? 'Unarchive' : 'Archive'} ${session.name}`}
          onClick={() => organise({ archived: !props.archived })}
        >
          <ArchiveIcon />
        </button>
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
