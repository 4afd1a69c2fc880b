/**
 * A session's conversation as Chat Completions messages: the agent's instructions first, then
 * the messages, with each user message's files inlined (text), attached as images (vision
 * models) or named (anything else).
 */
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions'
import type { ConversationTurn, ReplyContext } from '../domain/agent.ts'
import type { StoredFile } from '../domain/session-store.ts'

export interface ChatMessagesOptions {
  /** The system prompt; left out when blank. */
  instructions: string
  /** Whether images go to the model as images; else they are only named. */
  vision: boolean
  /** Text files are inlined up to this many bytes. */
  inlineFileBytes: number
  /**
   * The bytes of images this request may still send, taken by each image sent (the messages
   * are built newest first, so the newest images go); an image that does not fit is named.
   * None: no limit.
   */
  imageBudget?: { left: number }
  loadFile: ReplyContext['loadFile']
  /**
   * Files of the messages before this index are only named, whatever their kind: old
   * attachments stop costing tokens (see `attachment_turns`). Default: every message's are sent.
   */
  contentsFrom?: number
}

export type FileKind = 'text' | 'image' | 'other'

// What OpenAI's vision models take; SVG is XML text that a model could not see anyway.
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])
const TEXT_TYPES = new Set([
  'application/json',
  'application/ld+json',
  'application/x-ndjson',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/csv',
  'application/javascript',
  'application/sql',
])
// Browsers send these with an empty type or application/octet-stream: go by the name.
const TEXT_EXTENSIONS = /\.(txt|md|markdown|csv|tsv|json|jsonl|ndjson|ya?ml|xml|log|ini|toml)$/i

/**
 * How a file is given to the model, by its content type (and its name when the type says
 * nothing).
 *
 * @example
 * ```ts
 * fileKind({ contentType: 'text/csv', name: 'data.csv' }) // 'text'
 * fileKind({ contentType: 'image/png', name: 'shot.png' }) // 'image'
 * fileKind({ contentType: 'application/pdf', name: 'report.pdf' }) // 'other'
 * ```
 */
export function fileKind(file: Pick<StoredFile, 'contentType' | 'name'>): FileKind {
  const type = (file.contentType.split(';')[0] ?? '').trim().toLowerCase()
  if (IMAGE_TYPES.has(type)) return 'image'
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json')) return 'text'
  if ((type === '' || type === 'application/octet-stream') && TEXT_EXTENSIONS.test(file.name))
    return 'text'
  return 'other'
}

const describeFile = (file: StoredFile) =>
  `"${file.name}" (${file.contentType || 'unknown type'}, ${file.size} bytes)`

async function filePart(
  file: StoredFile,
  options: ChatMessagesOptions,
  withContents: boolean,
): Promise<ChatCompletionContentPart[]> {
  const kind = withContents ? fileKind(file) : 'other'
  if (kind === 'text' && options.inlineFileBytes > 0) {
    const bytes = await options.loadFile(file, options.inlineFileBytes)
    // `stream: true` holds back a character cut in half at the limit instead of mangling it.
    const content = new TextDecoder().decode(bytes, { stream: file.size > bytes.byteLength })
    const cut =
      file.size > bytes.byteLength ? ` (only its first ${bytes.byteLength} bytes are included)` : ''
    return [
      {
        type: 'text',
        text: `Attached file ${describeFile(file)}${cut}:\n--- begin ${file.name} ---\n${content}\n--- end ${file.name} ---`,
      },
    ]
  }
  const budget = options.imageBudget
  if (kind === 'image' && options.vision && budget && file.size > budget.left)
    return [
      {
        type: 'text',
        text: `Attached image ${describeFile(file)}; not included: the images of this request reached their size limit.`,
      },
    ]
  if (kind === 'image' && options.vision) {
    if (budget) budget.left -= file.size
    const bytes = await options.loadFile(file)
    const url = `data:${file.contentType};base64,${Buffer.from(bytes).toString('base64')}`
    return [
      { type: 'text', text: `Attached image ${describeFile(file)}:` },
      { type: 'image_url', image_url: { url } },
    ]
  }
  return [
    { type: 'text', text: `Attached file ${describeFile(file)}; its contents are not included.` },
  ]
}

/** One message of the conversation; its files' contents only `withContents`. */
export async function toChatMessage(
  turn: ConversationTurn,
  options: ChatMessagesOptions,
  withContents: boolean,
): Promise<ChatCompletionMessageParam> {
  if (turn.role === 'assistant') return { role: 'assistant', content: turn.text }
  if (turn.files.length === 0) return { role: 'user', content: turn.text }
  const parts: ChatCompletionContentPart[] = [{ type: 'text', text: turn.text }]
  for (const file of turn.files) parts.push(...(await filePart(file, options, withContents)))
  return { role: 'user', content: parts }
}

/**
 * Builds the messages of a Chat Completions request. Files are loaded only here, and only those
 * whose contents are sent.
 *
 * @example
 * ```ts
 * const messages = await toChatMessages(conversation, {
 *   instructions: 'You are a UX researcher.',
 *   vision: true,
 *   inlineFileBytes: 65_536,
 *   loadFile: context.loadFile,
 * })
 * ```
 */
export async function toChatMessages(
  conversation: ConversationTurn[],
  options: ChatMessagesOptions,
): Promise<ChatCompletionMessageParam[]> {
  const messages: ChatCompletionMessageParam[] = []
  if (options.instructions.trim() !== '')
    messages.push({ role: 'system', content: options.instructions })
  for (const [index, turn] of conversation.entries()) {
    messages.push(await toChatMessage(turn, options, index >= (options.contentsFrom ?? 0)))
  }
  return messages
}
