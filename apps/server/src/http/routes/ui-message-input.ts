/**
 * The new user message of an AI SDK chat request, as a prompt and files: text parts joined,
 * file parts decoded from their `data:` URLs (base64) and checked against the upload limits
 * as a multipart upload would be. Anything else a message may hold (reasoning, tools, custom
 * parts) is not the user's to send and is left alone.
 */
import { createHash } from 'node:crypto'
import type { UiChatRequest } from '@uxmate/contract'
import type { BodyLimits } from '../../config/config.ts'
import {
  sanitizeContentType,
  sanitizeFileName,
  type UploadedFile,
} from '../validation/body/uploaded-file.ts'
import { type ValidationIssue, valueErrorIssue } from '../validation/index.ts'

export type UserTurn =
  | { kind: 'turn'; text: string; files: UploadedFile[] }
  | { kind: 'invalid'; issue: ValidationIssue }
  | { kind: 'too_large'; detail: string }

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,(.*)$/s
/** As `TextPrompt` in openapi.yaml. */
const MAX_TEXT = 100_000

/**
 * The last message of `request`, which must be the user's: its text (non-blank) and files.
 *
 * @example
 * ```ts
 * const turn = userTurn(c.req.valid('json'), config.limits)
 * if (turn.kind === 'turn') await sessions.chatTurn({ ..., text: turn.text, files: turn.files })
 * ```
 */
export function userTurn(request: UiChatRequest, limits: BodyLimits): UserTurn {
  const index = request.messages.length - 1
  const message = request.messages[index]
  const loc = ['body', 'messages', index]
  if (message?.role !== 'user')
    return {
      kind: 'invalid',
      issue: valueErrorIssue(
        [...loc, 'role'],
        'The last message must be the user’s new one',
        message?.role,
      ),
    }
  const texts: string[] = []
  const files: UploadedFile[] = []
  let bytes = 0
  for (const [position, part] of message.parts.entries()) {
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text)
    if (part.type !== 'file') continue
    const url = typeof part.url === 'string' ? DATA_URL.exec(part.url) : null
    // A URL elsewhere is not fetched: the server loads nothing a client points it at.
    if (!url?.[2]?.includes(';base64'))
      return {
        kind: 'invalid',
        issue: valueErrorIssue(
          [...loc, 'parts', position, 'url'],
          'A file must come as a base64 data: URL',
          typeof part.url === 'string' ? part.url.slice(0, 64) : part.url,
        ),
      }
    if (files.length === limits.maxFiles)
      return { kind: 'too_large', detail: `A message takes at most ${limits.maxFiles} files` }
    const data = new Uint8Array(Buffer.from(url[3] ?? '', 'base64'))
    bytes += data.byteLength
    if (data.byteLength > limits.maxFileBytes)
      return {
        kind: 'too_large',
        detail: `The file '${sanitizeFileName(part.filename)}' is over ${limits.maxFileBytes} bytes`,
      }
    if (bytes > limits.maxRequestBytes)
      return { kind: 'too_large', detail: `The files are over ${limits.maxRequestBytes} bytes` }
    files.push({
      name: sanitizeFileName(part.filename),
      contentType: sanitizeContentType(part.mediaType ?? url[1]),
      chunks: [data],
      size: data.byteLength,
      sha256: createHash('sha256').update(data).digest('hex'),
    })
  }
  const text = texts.join('\n\n')
  if (text.length > MAX_TEXT)
    return {
      kind: 'invalid',
      issue: valueErrorIssue(
        [...loc, 'parts'],
        `The text is over ${MAX_TEXT} characters`,
        text.length,
      ),
    }
  if (text.trim() === '')
    return {
      kind: 'invalid',
      issue: valueErrorIssue([...loc, 'parts'], 'The message has no text', message.parts.length),
    }
  return { kind: 'turn', text, files }
}
