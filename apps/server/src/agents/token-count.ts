/**
 * Token counts for what goes to a model, with OpenAI's o200k_base encoding (gpt-4o and later):
 * exact for those models, and within ~10-20% for other families (Llama, Mistral, Qwen count the
 * same text in somewhat more tokens), which the context window's margin absorbs.
 */
import { createRequire } from 'node:module'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'

type Tokenizer = typeof import('gpt-tokenizer/encoding/o200k_base')

let tokenizer: Tokenizer | undefined

/**
 * The encoding, loaded when first needed: its ranks cost ~65 MiB, which a server without an
 * agent on a model (the default agents file) need not pay. Synchronous, like the OpenAI SDK's.
 */
function encoding(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as Tokenizer
  return tokenizer
}

/** What a message costs besides its content: its role and separators (OpenAI's own count). */
const MESSAGE_OVERHEAD = 4
/**
 * An image's estimate: a 1024x1024 picture at high detail (85 + 4 tiles of 170); images are
 * not decoded to count their tiles.
 */
export const IMAGE_TOKENS = 765

/**
 * The tokens of `text`.
 *
 * @example
 * ```ts
 * countTokens('Hello, world') // 3
 * ```
 */
export function countTokens(text: string): number {
  return text === '' ? 0 : encoding().countTokens(text)
}

/**
 * The tokens a Chat Completions message takes in the model's input.
 *
 * @example
 * ```ts
 * messageTokens({ role: 'user', content: 'Hello' }) // 5
 * ```
 */
export function messageTokens(message: ChatCompletionMessageParam): number {
  const { content } = message
  if (typeof content === 'string') return MESSAGE_OVERHEAD + countTokens(content)
  let tokens = MESSAGE_OVERHEAD
  for (const part of content ?? []) {
    if (part.type === 'text') tokens += countTokens(part.text)
    else if (part.type === 'image_url') tokens += IMAGE_TOKENS
  }
  return tokens
}

/** How many stored messages' counts are kept: ~150 bytes each, the oldest counted go first. */
const KEPT_COUNTS = 50_000
/** Counts of stored messages' texts by message id, with a hash of the text as a check. */
const keptCounts = new Map<string, { hash: number; tokens: number }>()

/** FNV-1a of the text's UTF-16 units: far cheaper than counting its tokens again. */
function textHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash
}

/**
 * The tokens a stored message of text alone (no files) takes in the model's input, as
 * `messageTokens` counts it. A stored message's text never changes (an edit is a new message),
 * and each turn of a long conversation counts the same recent messages again: counted once,
 * kept by id for the turns after.
 *
 * @example
 * ```ts
 * storedTextTokens('0193a4c2-…', 'Hello') // 5, counted; the next call for the id looks it up
 * ```
 */
export function storedTextTokens(id: string, text: string): number {
  const hash = textHash(text)
  const kept = keptCounts.get(id)
  if (kept && kept.hash === hash) return kept.tokens
  const tokens = MESSAGE_OVERHEAD + countTokens(text)
  if (keptCounts.size >= KEPT_COUNTS) {
    const oldest = keptCounts.keys().next()
    if (!oldest.done) keptCounts.delete(oldest.value)
  }
  keptCounts.set(id, { hash, tokens })
  return tokens
}

/**
 * `text` cut to its first `maxTokens` tokens (whole when shorter).
 *
 * @example
 * ```ts
 * truncateToTokens('one two three', 2) // 'one two'
 * ```
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  const tokens = encoding().encode(text)
  return tokens.length <= maxTokens ? text : encoding().decode(tokens.slice(0, maxTokens))
}
