import type { Agent as AgentProfile, MessageRole } from '@uxmate/contract'
import type { CompactionNote, ModelCall, StoredFile } from './session-store.ts'

/** One message of the conversation an agent answers, oldest first. */
export interface ConversationTurn {
  /** The message's id. */
  id: string
  role: MessageRole
  text: string
  files: StoredFile[]
}

/** What a run offers the agent besides the conversation. */
export interface ReplyContext {
  /**
   * Reads one of the conversation's files: its first `maxBytes` bytes, or all of it. Files are
   * read only when asked for, so agents that only name files never load them.
   */
  loadFile(file: StoredFile, maxBytes?: number): Promise<Uint8Array>
  /** The session's compaction note, if its conversation was compacted: a summary of its start. */
  loadCompaction(): Promise<CompactionNote | undefined>
  /** Stores a new compaction note, which later turns load with `loadCompaction`. */
  saveCompaction(note: CompactionNote): Promise<void>
  /** Records one call to the model (the reply's, a compaction's) with what it used. */
  recordCall(call: ModelCall): void
}

/** What an agent gets to title a session: its first user message. */
export interface TitleInput {
  prompt: string
  files: StoredFile[]
}

/**
 * An agent answers a conversation by streaming its reply in chunks of text. It must stop soon
 * after `signal` aborts, and throws to report a failure.
 */
export interface Agent {
  readonly profile: AgentProfile
  reply(
    conversation: ConversationTurn[],
    signal: AbortSignal,
    context: ReplyContext,
  ): AsyncIterable<string>
  /**
   * Optional: a short title for a new session, asked for while the first reply streams. Any
   * failure (or `undefined`) keeps the title made from the prompt.
   */
  title?(
    input: TitleInput,
    signal: AbortSignal,
    recordCall: ReplyContext['recordCall'],
  ): Promise<string | undefined>
}
