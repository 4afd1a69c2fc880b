import type { Agent as AgentProfile, MessageRole } from '@uxmate/contract'
import type { StoredFile } from '../storage/session-store.ts'

/** One message of the conversation an agent answers, oldest first. */
export interface ConversationTurn {
  role: MessageRole
  text: string
  files: StoredFile[]
}

/**
 * An agent answers a conversation by streaming its reply in chunks of text. It must stop soon
 * after `signal` aborts, and throws to report a failure.
 */
export interface Agent {
  readonly profile: AgentProfile
  reply(conversation: ConversationTurn[], signal: AbortSignal): AsyncIterable<string>
}
