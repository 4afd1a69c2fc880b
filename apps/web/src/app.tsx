import { type Agent, type GroupedSessionsResponse, UxmateApiError } from '@uxmate/client'
import { useCallback, useEffect, useMemo, useState } from 'react'
import { clientFor, storeApiKey, storedApiKey, timeZone } from './api.ts'
import { ChatView } from './chat-view.tsx'
import { KeyPrompt } from './key-prompt.tsx'
import { NewChat } from './new-chat.tsx'
import { useOpenChat } from './route.ts'
import { Sidebar } from './sidebar.tsx'

/** The reference app: the sidebar of the owner's sessions, and the open chat or a new one. */
export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey)
  const client = useMemo(() => clientFor(apiKey), [apiKey])
  const [needsKey, setNeedsKey] = useState(false)
  const [agents, setAgents] = useState<Agent[]>([])
  const [grouped, setGrouped] = useState<GroupedSessionsResponse>({ time_to_sessions: {} })
  const [showArchived, setShowArchived] = useState(false)
  const [problem, setProblem] = useState<string>()
  const [chatId, openChat] = useOpenChat()
  const [newChatAgent, setNewChatAgent] = useState<string>()

  /** Failures anywhere: a missing or wrong key asks for one; others are shown. */
  const fail = useCallback((error: unknown) => {
    if (error instanceof UxmateApiError && error.status === 401) setNeedsKey(true)
    else setProblem(error instanceof Error ? error.message : String(error))
  }, [])

  const refresh = useCallback(async () => {
    try {
      const query = showArchived ? { archived: true } : { pinned_group: true }
      setGrouped(await client.sessions.getGroupedSessions({ tz: timeZone, limit: 200, ...query }))
      setProblem(undefined)
    } catch (error) {
      fail(error)
    }
  }, [client, fail, showArchived])

  useEffect(() => {
    client.agents.getAgents().then(({ agents }) => setAgents(agents), fail)
    void refresh()
  }, [client, refresh, fail])

  const agentOf = (id: string | undefined) => agents.find((agent) => agent.id === id)
  const startChat = (agentId: string) => {
    setNewChatAgent(agentId)
    openChat(crypto.randomUUID())
  }

  return (
    <div className="app">
      <Sidebar
        client={client}
        grouped={grouped}
        archived={showArchived}
        onShowArchived={setShowArchived}
        openChatId={chatId}
        onOpen={(id) => {
          setNewChatAgent(undefined)
          openChat(id)
        }}
        onNew={() => openChat(undefined)}
        onChanged={refresh}
        onError={fail}
      />
      <main className="main">
        {problem && (
          <div className="banner" role="alert">
            {problem}
            <button type="button" onClick={() => setProblem(undefined)}>
              Dismiss
            </button>
          </div>
        )}
        {chatId ? (
          <ChatView
            key={chatId}
            client={client}
            apiKey={apiKey}
            chatId={chatId}
            newChatAgent={agentOf(newChatAgent)}
            agentOf={agentOf}
            onSessionChanged={refresh}
            onError={fail}
          />
        ) : (
          <NewChat agents={agents} onStart={startChat} />
        )}
      </main>
      {needsKey && (
        <KeyPrompt
          onKey={(key) => {
            storeApiKey(key)
            setApiKey(key)
            setNeedsKey(false)
          }}
        />
      )}
    </div>
  )
}
