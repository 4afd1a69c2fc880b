/**
 * A compaction note: the model's own summary of a conversation's older messages, which later
 * requests send instead of them. Made from the note before (if any) and the messages since, in
 * as many calls as it takes for each to fit the model's window, folding one into the next.
 */
import type { ConversationTurn } from '../domain/agent.ts'
import type { ContextSettings } from './agents-file.ts'
import { inputBudget, summaryBudget } from './context-window.ts'
import { countTokens, truncateToTokens } from './token-count.ts'

export const COMPACTION_INSTRUCTIONS =
  'You keep the memory of a long conversation between a user and an assistant. Write a ' +
  'summary of the conversation below (and of the earlier summary, if one is given) that lets ' +
  'the assistant go on as if it remembered everything: what the user wants, the facts, names, ' +
  'numbers, decisions and open questions, and what the assistant already answered. Write in ' +
  "the conversation's language, as plain notes, without a preamble."

/** How the summary is introduced to the model in later requests. */
export const NOTE_PREFIX =
  'A summary of the earlier part of this conversation, which is left out for length:\n\n'

/** One summarizing call to the model: the prompt, and the most tokens its answer may take. */
export type Summarize = (prompt: string, maxTokens: number) => Promise<string>

const transcriptLine = (turn: ConversationTurn) => {
  const files = turn.files.length ? ` (attached: ${turn.files.map((f) => f.name).join(', ')})` : ''
  return `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}${files}`
}

const promptOf = (previous: string | undefined, lines: string[]) =>
  `${previous ? `Earlier summary:\n${previous}\n\n` : ''}Conversation:\n${lines.join('\n\n')}`

/**
 * The new note's text and tokens, made of `previous` (the stored note's text) and `messages`.
 * Throws when a call to the model fails: the caller then truncates instead.
 *
 * @example
 * ```ts
 * const note = await compact({ previous, messages: older, settings, summarize })
 * ```
 */
export async function compact(request: {
  previous: string | undefined
  messages: readonly ConversationTurn[]
  settings: ContextSettings
  summarize: Summarize
}): Promise<{ summary: string; tokens: number }> {
  const { settings, summarize } = request
  const maxSummary = summaryBudget(settings)
  // Each call: the instructions, the summary so far, and as many messages as fit the rest.
  const perCall = inputBudget(settings) - countTokens(COMPACTION_INSTRUCTIONS) - 16
  let summary = request.previous
  let lines: string[] = []
  let used = summary ? countTokens(summary) : 0
  const fold = async () => {
    const answer = await summarize(promptOf(summary, lines), maxSummary)
    // A model that writes past its limit (a server that ignores it) is cut to it.
    summary = truncateToTokens(answer.trim(), maxSummary)
    lines = []
    used = countTokens(summary)
  }
  for (const turn of request.messages) {
    const room = perCall - used
    let line = transcriptLine(turn)
    let tokens = countTokens(line) + 2
    if (tokens > room && lines.length > 0) {
      await fold()
      tokens = countTokens(line) + 2
    }
    // A single message longer than a whole call goes in cut to what fits.
    const available = perCall - used
    if (tokens > available) {
      line = truncateToTokens(line, Math.max(1, available - 2))
      tokens = available
    }
    lines.push(line)
    used += tokens
  }
  if (lines.length > 0 || summary === undefined) await fold()
  const text = summary ?? ''
  return { summary: text, tokens: countTokens(NOTE_PREFIX + text) + 4 }
}
