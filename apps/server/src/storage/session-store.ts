import type { MessageRole, SessionError, SessionStatus } from '@uxmate/contract'

/** A file's metadata as stored with the message it came with. */
export interface StoredFile {
  id: string
  name: string
  contentType: string
  size: number
  sha256: string
}

/** A file on its way into the store, with its bytes. */
export interface NewFile extends StoredFile {
  data: Uint8Array
}

export interface MessageRecord {
  id: string
  role: MessageRole
  text: string
  createdAt: Date
  files: StoredFile[]
}

export interface SessionRecord {
  id: string
  agentId: string
  name: string
  routineId: string | null
  status: SessionStatus
  error: SessionError | null
  createdAt: Date
  updatedAt: Date
  messages: MessageRecord[]
}

/** What a sidebar needs of a session: no messages. */
export type SessionHeader = Omit<SessionRecord, 'messages'>

export interface NewSession {
  id: string
  agentId: string
  name: string
  now: Date
  message: { id: string; text: string; files: NewFile[] }
}

export interface NewUserMessage {
  sessionId: string
  now: Date
  message: { id: string; text: string }
}

export interface RunOutcome {
  sessionId: string
  now: Date
  /** The agent's reply; null when the run ended without one. */
  reply: { id: string; text: string } | null
  status: Extract<SessionStatus, 'Ready' | 'Flushed'>
  error: SessionError | null
}

/** A position in the most-recently-updated-first order, for keyset pagination. */
export interface SessionCursor {
  updatedAt: Date
  id: string
}

export interface SessionPage {
  sessions: SessionRecord[]
  /** Where the next page starts; absent on the last page. */
  next?: SessionCursor
}

/**
 * Where sessions live. Every method that writes more than one row does so in one transaction, so
 * a crash leaves either all of it or none. Async, so that a networked database can stand behind
 * the same interface as SQLite.
 */
export interface SessionStore {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>
  /** Stores a new session, `Running`, with its first user message and files. */
  createSession(input: NewSession): Promise<SessionRecord>
  getSession(id: string): Promise<SessionRecord | undefined>
  /**
   * Appends a user message and marks the session `Running`, unless a run is in progress.
   * Check and write are atomic, so two concurrent callers cannot both start a run.
   */
  startTurn(input: NewUserMessage): Promise<SessionRecord | 'not_found' | 'busy'>
  /** Ends the session's run: stores the reply, if any, and the final status. */
  finishRun(outcome: RunOutcome): Promise<void>
  /** A page of an agent's sessions, most recently updated first. */
  listSessions(query: {
    agentId: string
    limit: number
    after?: SessionCursor
  }): Promise<SessionPage>
  /** The most recently updated sessions, newest first, optionally of one agent. */
  recentSessions(query: { agentId?: string; limit: number }): Promise<SessionHeader[]>
  getFile(
    sessionId: string,
    fileId: string,
  ): Promise<{ file: StoredFile; data: Uint8Array<ArrayBuffer> } | undefined>
  /** Marks every `Running` session `Flushed` (code `interrupted`); returns how many. */
  flushInterruptedRuns(now: Date, message: string): Promise<number>
  /** Throws unless the store answers and its schema is up to date. */
  checkReady(): Promise<void>
  close(): Promise<void>
}
