import { useChat } from '@ai-sdk/react'
import { type Agent, UxmateApiError, type UxmateClient } from '@uxmate/client'
import { convertFileListToFileUIParts, DefaultChatTransport, type UIMessage } from 'ai'
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react'
import { AgentIcon } from './agent-icon.tsx'
import { authHeaders } from './api.ts'
import { useSiblings } from './branches.ts'
import { ClipIcon } from './icons.tsx'
import { MessageParts } from './message-parts.tsx'

interface ChatViewProps {
  client: UxmateClient
  apiKey: string | undefined
  chatId: string
  /** The agent picked for a chat that does not exist yet. */
  newChatAgent: Agent | undefined
  agentOf(id: string | undefined): Agent | undefined
  /** The session's name or list position may have changed: the sidebar is read again. */
  onSessionChanged(): void
  onError(error: unknown): void
}

interface Loaded {
  messages: UIMessage[]
  agentId: string | undefined
  name: string | undefined
}

/** A chat: its stored messages loaded first, then the conversation on `useChat`. */
export function ChatView(props: ChatViewProps) {
  const { client, chatId, newChatAgent, onError } = props
  // A chat just started from the agent picker has nothing stored yet.
  const [loaded, setLoaded] = useState<Loaded | undefined>(
    newChatAgent && { messages: [], agentId: newChatAgent.id, name: undefined },
  )
  useEffect(() => {
    if (newChatAgent) return
    let current = true
    Promise.all([client.aiSdk.uiChatMessages(chatId), client.sessions.getSession(chatId)]).then(
      ([{ messages }, session]) =>
        current &&
        setLoaded({
          messages: messages as UIMessage[],
          agentId: session.agent_id,
          name: session.name,
        }),
      (error: unknown) => {
        if (!current) return
        // Gone (deleted), or never sent a message: back to the agent picker.
        if (error instanceof UxmateApiError && error.status === 404) window.location.hash = '#/'
        else onError(error)
      },
    )
    return () => {
      current = false
    }
  }, [client, chatId, newChatAgent, onError])
  if (!loaded) return <div className="chat loading">Loading…</div>
  return <Conversation {...props} loaded={loaded} />
}

function Conversation(props: ChatViewProps & { loaded: Loaded }) {
  const { client, apiKey, chatId, loaded, onSessionChanged, onError } = props
  const agent = props.agentOf(loaded.agentId)
  const [name, setName] = useState(loaded.name)
  const [text, setText] = useState('')
  const [files, setFiles] = useState<FileList>()
  const fileInput = useRef<HTMLInputElement>(null)
  const transport = useMemo(
    () =>
      new DefaultChatTransport({
        api: '/chat',
        body: { agent_id: loaded.agentId },
        headers: authHeaders(apiKey),
      }),
    [apiKey, loaded.agentId],
  )
  const { messages, sendMessage, setMessages, regenerate, resumeStream, status, stop, error } =
    useChat({
      id: chatId,
      messages: loaded.messages,
      transport,
      // After a reload in the middle of a reply, the reply continues where it was.
      resume: true,
      onData: (part) => {
        if (part.type === 'data-session') {
          setName((part.data as { name: string }).name)
          onSessionChanged()
        }
      },
      onFinish: () => {
        onSessionChanged()
        // The stored chat, with the ids the server gave: a message sent from here has the SDK's
        // own id until then, and editing it or switching its branch needs the stored one.
        void showStored().catch(onError)
      },
    })
  const busy = status === 'submitted' || status === 'streaming'
  // Read once a turn has ended (a chat's first turn stores it).
  const shown = busy ? '' : messages.map((message) => message.id).join()
  const siblings = useSiblings(client, chatId, shown, onError)
  const [editing, setEditing] = useState<{ id: string; text: string }>()

  /** The stored chat, shown again: after a branch changed on the server. */
  const showStored = async () => {
    const stored = await client.aiSdk.uiChatMessages(chatId)
    setMessages(stored.messages as UIMessage[])
  }
  /** An edited message: a new branch from where it was, and the agent's reply on it, streamed. */
  const saveEdit = async () => {
    if (!editing || editing.text.trim() === '') return
    const { id, text: edited } = editing
    setEditing(undefined)
    try {
      await client.sessions.editSessionMessage(
        chatId,
        id,
        { text_prompt: edited },
        { respondAsync: true },
      )
      await showStored()
      await resumeStream()
    } catch (failure) {
      onError(failure)
    }
  }
  /** Shows the branch of a sibling of a message: the one before or after it. */
  const switchTo = async (id: string) => {
    try {
      await client.sessions.switchSessionBranch(chatId, id)
      await showStored()
    } catch (failure) {
      onError(failure)
    }
  }

  const send = async (event?: Pick<FormEvent, 'preventDefault'>) => {
    event?.preventDefault()
    if (text.trim() === '' || busy) return
    const sent = text
    // A copy: the input's own list empties when the input is cleared.
    const attached = files && (await convertFileListToFileUIParts(files))
    setText('')
    setFiles(undefined)
    if (fileInput.current) fileInput.current.value = ''
    await sendMessage({ text: sent, ...(attached && { files: attached }) })
  }
  // Stop: the SDK only closes the stream; cancelling the run keeps the reply written so far.
  // The run may have written a few more words than had reached the page: the stored chat,
  // read again, shows what was kept.
  const stopReply = async () => {
    await stop()
    try {
      await client.sessions.cancelSession(chatId)
      const stored = await client.aiSdk.uiChatMessages(chatId)
      setMessages(stored.messages as UIMessage[])
    } catch (failure) {
      onError(failure)
    }
  }

  return (
    <div className="chat">
      <header className="chat-header">
        <AgentIcon icon={agent?.icon} />
        <div>
          <h1>{name ?? 'New chat'}</h1>
          <span className="agent-name">{agent?.name ?? loaded.agentId}</span>
        </div>
      </header>
      <ol className="messages" aria-live="polite">
        {messages.length === 0 && agent?.welcome_message && (
          <li className="message assistant welcome">{agent.welcome_message}</li>
        )}
        {messages.map((message, index) => (
          <li key={message.id} className={`message ${message.role}`}>
            {editing?.id === message.id ? (
              <form
                className="edit"
                onSubmit={(event) => {
                  event.preventDefault()
                  void saveEdit()
                }}
              >
                <textarea
                  aria-label="Edited message"
                  value={editing.text}
                  onChange={(event) => setEditing({ id: message.id, text: event.target.value })}
                />
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(undefined)}>
                  Cancel
                </button>
              </form>
            ) : (
              <div data-testid={`message-${message.role}`}>
                <MessageParts client={client} parts={message.parts} onError={onError} />
              </div>
            )}
            <span className="message-actions">
              <BranchArrows
                id={message.id}
                siblings={siblings.get(message.id)}
                disabled={busy}
                onSwitch={switchTo}
              />
              {!busy && message.role === 'user' && editing?.id !== message.id && (
                <button
                  type="button"
                  onClick={() => setEditing({ id: message.id, text: textOf(message) })}
                >
                  Edit
                </button>
              )}
              {/* The server keeps the reply it replaces: it stays in the session's tree. */}
              {!busy && message.role === 'assistant' && index === messages.length - 1 && (
                <button type="button" onClick={() => void regenerate({ messageId: message.id })}>
                  Regenerate
                </button>
              )}
            </span>
          </li>
        ))}
      </ol>
      {error && (
        <div className="chat-error" role="alert">
          {error.message}
        </div>
      )}
      <form className="composer" onSubmit={send}>
        <textarea
          aria-label="Message"
          value={text}
          placeholder={agent?.user_initial_message || 'Write a message'}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) void send(event)
          }}
        />
        <label className="attach" title="Attach files">
          <ClipIcon />
          <input
            ref={fileInput}
            type="file"
            multiple
            aria-label="Attach files"
            onChange={(event) => setFiles(event.target.files ?? undefined)}
          />
        </label>
        {files && files.length > 0 && <span className="attached">{files.length} attached</span>}
        {busy ? (
          <button type="button" className="stop" onClick={stopReply}>
            Stop
          </button>
        ) : (
          <button type="submit" disabled={text.trim() === ''}>
            Send
          </button>
        )}
      </form>
    </div>
  )
}

const textOf = (message: UIMessage) =>
  message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('')

/** "‹ 2/3 ›" beside a message with siblings: the branch of the one before or after. */
function BranchArrows(props: {
  id: string
  siblings: string[] | undefined
  disabled: boolean
  onSwitch(id: string): void
}) {
  const { id, siblings, disabled, onSwitch } = props
  if (!siblings || siblings.length < 2) return null
  const at = siblings.indexOf(id)
  const before = siblings[at - 1]
  const after = siblings[at + 1]
  return (
    <span className="branch-arrows">
      <button
        type="button"
        aria-label="Previous version"
        disabled={disabled || before === undefined}
        onClick={() => before && onSwitch(before)}
      >
        ‹
      </button>
      <span>
        {at + 1}/{siblings.length}
      </span>
      <button
        type="button"
        aria-label="Next version"
        disabled={disabled || after === undefined}
        onClick={() => after && onSwitch(after)}
      >
        ›
      </button>
    </span>
  )
}
