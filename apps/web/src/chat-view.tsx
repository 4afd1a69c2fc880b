import { useChat } from '@ai-sdk/react'
import { type Agent, UxmateApiError, type UxmateClient } from '@uxmate/client'
import { convertFileListToFileUIParts, DefaultChatTransport, type UIMessage } from 'ai'
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react'
import { AgentIcon } from './agent-icon.tsx'
import { authHeaders } from './api.ts'
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
  const { messages, sendMessage, setMessages, regenerate, status, stop, error } = useChat({
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
    onFinish: () => onSessionChanged(),
  })
  const busy = status === 'submitted' || status === 'streaming'

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
          <li
            key={message.id}
            className={`message ${message.role}`}
            data-testid={`message-${message.role}`}
          >
            <MessageParts client={client} parts={message.parts} onError={onError} />
            {/* The server keeps the reply it replaces: it stays in the session's tree. */}
            {!busy && message.role === 'assistant' && index === messages.length - 1 && (
              <button
                type="button"
                className="regenerate"
                onClick={() => void regenerate({ messageId: message.id })}
              >
                Regenerate
              </button>
            )}
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
