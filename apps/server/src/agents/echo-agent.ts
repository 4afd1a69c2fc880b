import { setTimeout as sleep } from 'node:timers/promises'
import type { Agent as AgentProfile } from '@uxmate/contract'
import type { Agent, ConversationTurn } from './agent.ts'

/** The echo agent's profile when the agents file does not give one. */
export const echoProfile: AgentProfile = {
  id: 'echo',
  name: 'Echo',
  assistant_id: 'echo',
  assistant_nickname: 'Echo',
  welcome_message: 'Hi! I repeat what you tell me.',
  user_initial_message: '',
  icon: '',
  visibility_requirements: [],
}

/** What the echo agent answers to a user's message: the prompt and the names of its files. */
export function echoReply(turn: ConversationTurn): string {
  const files = turn.files.map((file) => file.name)
  return files.length === 0
    ? `You said: ${turn.text}`
    : `You said: ${turn.text} (files: ${files.join(', ')})`
}

/**
 * The built-in provider `echo`: answers every prompt deterministically, word by word, pausing
 * `delayMs` before each word, so the whole flow (runs, statuses, streaming, cancel) works and can
 * be tested without an LLM. `profile` defaults to the agent `echo`.
 *
 * @example
 * ```ts
 * const agent = createEchoAgent({ delayMs: 50 })
 * const conversation = [{ role: 'user' as const, text: 'hi', files: [] }]
 * for await (const word of agent.reply(conversation, signal, context)) process.stdout.write(word)
 * ```
 */
export function createEchoAgent(options: { delayMs: number; profile?: AgentProfile }): Agent {
  return {
    profile: options.profile ?? echoProfile,
    async *reply(conversation, signal) {
      const last = conversation.findLast((turn) => turn.role === 'user')
      if (!last) throw new Error('The conversation has no user message to answer')
      const words = echoReply(last).split(/(?<=\s)/)
      for (const word of words) {
        signal.throwIfAborted()
        if (options.delayMs > 0) await sleep(options.delayMs, undefined, { signal })
        yield word
      }
    },
  }
}
