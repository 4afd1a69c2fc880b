import { setTimeout as sleep } from 'node:timers/promises'
import type { Agent as AgentProfile } from '@uxmate/contract'
import type { Agent, ConversationTurn } from '../domain/agent.ts'

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

/** Where the echo agent's time comes from, so tests can run its schedule without waiting. */
export interface EchoTimer {
  /** Milliseconds on a monotonic clock. */
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

const realTimer: EchoTimer = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
}

/**
 * The built-in provider `echo`: answers every prompt deterministically, word by word, one word
 * every `delayMs`, so the whole flow (runs, statuses, streaming, cancel) works and can be tested
 * without an LLM. `profile` defaults to the agent `echo`.
 *
 * Word `i` is due `(i + 1) × delayMs` after the reply started, whenever the previous one was
 * taken: like an LLM's tokens, which arrive at the provider's pace however busy this process
 * is. A late wake-up therefore delays the words that were due (they follow at once) but not the
 * rest of the reply, so the reply's pace measures delivery, not timer drift.
 *
 * @example
 * ```ts
 * const agent = createEchoAgent({ delayMs: 50 })
 * const conversation = [{ role: 'user' as const, text: 'hi', files: [] }]
 * for await (const word of agent.reply(conversation, signal, context)) process.stdout.write(word)
 * ```
 */
export function createEchoAgent(options: {
  delayMs: number
  profile?: AgentProfile
  timer?: EchoTimer
}): Agent {
  const timer = options.timer ?? realTimer
  return {
    profile: options.profile ?? echoProfile,
    async *reply(conversation, signal) {
      const last = conversation.findLast((turn) => turn.role === 'user')
      if (!last) throw new Error('The conversation has no user message to answer')
      const words = echoReply(last).split(/(?<=\s)/)
      const start = timer.now()
      for (const [i, word] of words.entries()) {
        signal.throwIfAborted()
        if (options.delayMs > 0) {
          const wait = start + (i + 1) * options.delayMs - timer.now()
          if (wait > 0) await timer.sleep(wait, signal)
        }
        yield word
      }
    },
  }
}
