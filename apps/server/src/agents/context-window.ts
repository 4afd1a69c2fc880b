/**
 * Which part of a conversation goes to the model: within `context_window - max_output_tokens`
 * less a margin, the instructions and the latest message always, then as much of the history
 * as fits, newest first. Past that, `truncate` leaves the oldest messages out; `compact` sends
 * a summary of them instead (a compaction note), made once and reused until it no longer fits.
 */
import type { ContextSettings } from './agents-file.ts'

/** Kept free of the window for what the token count misses (other models' tokenizers). */
const MARGIN = 0.1

/** The tokens the input may take: the window less the reply's share and the margin. */
export function inputBudget(settings: ContextSettings): number {
  return Math.floor((settings.contextWindow - settings.maxOutputTokens) * (1 - MARGIN))
}

/** The longest a compaction note may be: a quarter of the input budget. */
export function summaryBudget(settings: ContextSettings): number {
  return Math.floor(inputBudget(settings) / 4)
}

export interface InputPlan {
  /** The history's messages from this index on are sent as they are. */
  from: number
  /**
   * `none`: no note; `reuse`: the stored note goes before them; `compact`: a new note is made
   * of the stored one (if any) and the messages from `summarizeFrom` to `from`.
   */
  note: 'none' | 'reuse' | 'compact'
  summarizeFrom: number
}

export interface PlanInput {
  /** The tokens of each history message (all but the latest), oldest first. */
  history: readonly number[]
  /** The tokens of what is always sent: the instructions and the latest message. */
  fixed: number
  budget: number
  strategy: ContextSettings['strategy']
  /** The stored note: the history index of the last message it covers, and its tokens. */
  note?: { through: number; tokens: number }
}

/** The first index from which `history` fits in `room`, newest first. */
function fittingSuffix(history: readonly number[], room: number, floor = 0): number {
  let used = 0
  let from = history.length
  while (from > floor && used + (history[from - 1] ?? 0) <= room) {
    from -= 1
    used += history[from] ?? 0
  }
  return from
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

/**
 * Plans one request's input.
 *
 * @example
 * ```ts
 * planInput({ history: [900, 900, 900], fixed: 200, budget: 2000, strategy: 'truncate' })
 * // { from: 1, note: 'none', summarizeFrom: 1 }
 * ```
 */
export function planInput(input: PlanInput): InputPlan {
  const { history, budget, strategy, note } = input
  const room = Math.max(0, budget - input.fixed)
  if (sum(history) <= room) return { from: 0, note: 'none', summarizeFrom: 0 }
  if (strategy === 'truncate') {
    const from = fittingSuffix(history, room)
    return { from, note: 'none', summarizeFrom: from }
  }
  const after = note ? note.through + 1 : 0
  if (note && note.tokens + sum(history.slice(after)) <= room)
    return { from: after, note: 'reuse', summarizeFrom: after }
  // Half the room for recent messages as they are; a note (at most a quarter of the budget)
  // and what comes before the next compaction share the rest.
  const from = fittingSuffix(history, room / 2, after)
  if (from > after) return { from, note: 'compact', summarizeFrom: after }
  // Nothing to add to a note: the latest messages alone take over half the room. They go with
  // the stored note, if any, as far as they fit.
  const noteTokens = note?.tokens ?? 0
  const fitting = fittingSuffix(history, room - noteTokens, after)
  return { from: fitting, note: note ? 'reuse' : 'none', summarizeFrom: fitting }
}

/**
 * The plan when compaction failed: truncation, so that the turn still gets an answer.
 *
 * @example
 * ```ts
 * truncatedPlan([900, 900, 900], 1800) // { from: 1, note: 'none', summarizeFrom: 1 }
 * ```
 */
export function truncatedPlan(history: readonly number[], room: number): InputPlan {
  const from = fittingSuffix(history, room)
  return { from, note: 'none', summarizeFrom: from }
}
