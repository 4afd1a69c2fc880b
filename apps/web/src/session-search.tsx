import { type ResponseData, UxmateApiError, type UxmateClient } from '@uxmate/client'
import { useEffect, useState } from 'react'
import { AgentIcon } from './agent-icon.tsx'
import { hasSearchTerm, snippetParts } from './snippet.ts'

/** How long typing must pause before the sidebar searches. */
const TYPING_PAUSE_MS = 200

type Hits = ResponseData<'search_sessions'>['hits']

interface SessionSearchProps {
  client: UxmateClient
  query: string
  onOpen(id: string): void
  onError(error: unknown): void
}

/** Which text of the session matched: its name, the user's message or the agent's reply. */
function whereItMatched(hit: Hits[number]): string {
  if (hit.message_id === undefined) return 'Name: '
  return hit.role === 'user' ? 'You: ' : `${hit.session.agent.name}: `
}

/**
 * The hits for `query` as it is typed, best first: each with its session's name and a snippet
 * of what matched, its words marked.
 */
export function SessionSearch({ client, query, onOpen, onError }: SessionSearchProps) {
  const [hits, setHits] = useState<Hits>()
  const [unsearchable, setUnsearchable] = useState(false)

  const searchable = hasSearchTerm(query)

  useEffect(() => {
    if (!searchable) return
    const controller = new AbortController()
    const timer = setTimeout(async () => {
      try {
        const page = await client.sessions.searchSessions(
          { q: query, limit: 20 },
          { signal: controller.signal },
        )
        setHits(page.hits)
        setUnsearchable(false)
      } catch (error) {
        if (controller.signal.aborted) return
        // More terms than the server takes, or a word it does not count as one.
        if (error instanceof UxmateApiError && error.status === 422) setUnsearchable(true)
        else onError(error)
      }
    }, TYPING_PAUSE_MS)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [client, query, searchable, onError])

  if (!searchable || unsearchable) return <p className="empty">Type a word to look for.</p>
  if (!hits) return <p className="empty">Searching…</p>
  if (hits.length === 0) return <p className="empty">Nothing found.</p>
  return (
    <ul className="search-hits" aria-label="Search results">
      {hits.map((hit) => (
        <li key={`${hit.session.id}:${hit.message_id ?? 'name'}`}>
          <button type="button" onClick={() => onOpen(hit.session.id)}>
            <span className="hit-name">
              <AgentIcon icon={hit.session.agent.icon} />
              {hit.session.name}
            </span>
            <span className="hit-snippet">
              <span className="hit-where">{whereItMatched(hit)}</span>
              {snippetParts(hit.snippet).map((part, index) =>
                part.marked ? <mark key={index}>{part.text}</mark> : part.text,
              )}
            </span>
          </button>
        </li>
      ))}
    </ul>
  )
}
