/**
 * One line of an import: a session as `export_sessions` writes it (the `Session` of the API,
 * files inline as `data_base64`), or as the original service answered it (`id`, `agent_id`,
 * `created_at`, `updated_at`, `status`, `routine_id`, and messages of `role` and `text` only).
 * What the original lacks is made the same way every time, so that importing twice adds nothing:
 * a message's id from the session's id and its position, its time from the session's, the
 * name from the first user message. Fields this server does not keep (status, usage, errors,
 * file URLs) are ignored; an imported session is `Ready`.
 */
import { createHash } from 'node:crypto'
import { titleFromPrompt } from './session-title.ts'

/** The most messages a session of an import may have, and the longest text of one. */
export const MAX_IMPORT_MESSAGES = 10_000
export const MAX_IMPORT_TEXT_LENGTH = 1_000_000
/** Tags, metadata pairs and their lengths, as `rename_session` takes them. */
const MAX_TAGS = 16
const MAX_TAG_LENGTH = 64
const MAX_PAIRS = 16
const MAX_KEY_LENGTH = 64
const MAX_VALUE_LENGTH = 512
const MAX_NAME_LENGTH = 200
const MAX_FILES_PER_MESSAGE = 10

const RESOURCE_ID = /^[A-Za-z0-9_~:-][A-Za-z0-9._~:-]{0,127}$/
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** A file of an imported message, with its bytes (a `ImportedFile` of the store). */
export interface ImportedFile {
  id: string
  name: string
  contentType: string
  size: number
  sha256: string
  data: Uint8Array
}

export interface ImportedMessage {
  id: string
  role: 'user' | 'assistant'
  text: string
  createdAt: Date
  files: ImportedFile[]
}

export interface ImportedSession {
  id: string
  agentId: string
  name: string
  routineId: string | null
  createdAt: Date
  updatedAt: Date
  pinned: boolean
  archived: boolean
  tags: string[]
  metadata: Record<string, string>
  messages: ImportedMessage[]
}

export type ImportLine =
  | { session: ImportedSession; filesLeftOut: number }
  | { problem: string; id?: string }

class LineProblem extends Error {}

const fail = (message: string): never => {
  throw new LineProblem(message)
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** An id made from what is always the same for the same line: UUID-shaped, from SHA-256. */
export function derivedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

function time(value: unknown, field: string, fallback?: Date): Date {
  if (value === undefined && fallback) return fallback
  if (typeof value !== 'string') return fail(`${field}: a date-time is required`)
  const date = new Date(value)
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value))
    return fail(`${field}: not a date-time`)
  return date
}

function id(value: unknown, field: string, fallback: () => string): string {
  if (value === undefined || value === null) return fallback()
  if (typeof value !== 'string' || !RESOURCE_ID.test(value))
    return fail(`${field}: not an id (1 to 128 of A-Z a-z 0-9 . _ ~ : -, not starting with .)`)
  return value
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') return fail(`${field}: a string is required`)
  if (value.length > max) return fail(`${field}: longer than ${max} characters`)
  return value
}

function tags(value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > MAX_TAGS)
    return fail(`tags: at most ${MAX_TAGS} strings`)
  const each = value.map((tag) => text(tag, 'tags', MAX_TAG_LENGTH))
  if (each.some((tag) => tag.trim() !== tag || tag === ''))
    fail('tags: each of 1 to 64 characters without white space at either end')
  return [...new Set(each)]
}

function metadata(value: unknown): Record<string, string> {
  if (value === undefined) return {}
  if (!isRecord(value)) return fail('metadata: an object of strings is required')
  const pairs = Object.entries(value)
  if (pairs.length > MAX_PAIRS) fail(`metadata: at most ${MAX_PAIRS} pairs`)
  for (const [key, each] of pairs) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH)
      fail(`metadata: keys of 1 to ${MAX_KEY_LENGTH} characters`)
    text(each, `metadata.${key}`, MAX_VALUE_LENGTH)
  }
  return value as Record<string, string>
}

function file(
  value: unknown,
  at: string,
  fallbackId: () => string,
  maxFileBytes: number,
): ImportedFile | undefined {
  if (!isRecord(value)) return fail(`${at}: an object is required`)
  // A file exported as a link has no bytes to import: left out (and counted).
  if (value.data_base64 === undefined) return undefined
  const encoded = text(value.data_base64, `${at}.data_base64`, Math.ceil(maxFileBytes / 3) * 4 + 4)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) fail(`${at}.data_base64: not base64`)
  const data = Buffer.from(encoded, 'base64')
  if (data.byteLength > maxFileBytes) fail(`${at}: larger than ${maxFileBytes} bytes`)
  const sha256 = createHash('sha256').update(data).digest('hex')
  if (value.sha256 !== undefined && value.sha256 !== sha256)
    fail(`${at}.sha256: does not match the data`)
  return {
    id: id(value.id, `${at}.id`, fallbackId),
    name: text(value.name ?? 'file', `${at}.name`, 255) || 'file',
    contentType: text(value.content_type ?? 'application/octet-stream', `${at}.content_type`, 255),
    size: data.byteLength,
    sha256,
    data,
  }
}

function session(value: unknown, maxFileBytes: number): ImportLine {
  if (!isRecord(value)) return fail('a JSON object is required')
  const sessionId = id(value.id, 'id', () => fail('id: required'))
  const agentId = text(value.agent_id, 'agent_id', 128)
  if (!AGENT_ID.test(agentId)) fail('agent_id: not an agent id')
  const createdAt = time(value.created_at, 'created_at')
  const updatedAt = time(value.updated_at, 'updated_at', createdAt)
  const rawMessages = value.messages ?? []
  if (!Array.isArray(rawMessages) || rawMessages.length > MAX_IMPORT_MESSAGES)
    fail(`messages: an array of at most ${MAX_IMPORT_MESSAGES}`)
  let filesLeftOut = 0
  const messages = (rawMessages as unknown[]).map((raw, position): ImportedMessage => {
    const at = `messages[${position}]`
    if (!isRecord(raw)) return fail(`${at}: an object is required`)
    if (raw.role !== 'user' && raw.role !== 'assistant') fail(`${at}.role: user or assistant`)
    const messageId = id(raw.id, `${at}.id`, () => derivedId(sessionId, 'message', `${position}`))
    const rawFiles = raw.files ?? []
    if (!Array.isArray(rawFiles) || rawFiles.length > MAX_FILES_PER_MESSAGE)
      fail(`${at}.files: an array of at most ${MAX_FILES_PER_MESSAGE}`)
    const files = (rawFiles as unknown[]).flatMap((each, index) => {
      const found = file(
        each,
        `${at}.files[${index}]`,
        () => derivedId(messageId, 'file', `${index}`),
        maxFileBytes,
      )
      if (!found) filesLeftOut += 1
      return found ? [found] : []
    })
    return {
      id: messageId,
      role: raw.role as ImportedMessage['role'],
      text: text(raw.text, `${at}.text`, MAX_IMPORT_TEXT_LENGTH),
      // The original service's messages have no time: the session's first, then its last.
      createdAt: time(raw.created_at, `${at}.created_at`, position === 0 ? createdAt : updatedAt),
      files,
    }
  })
  const ids = [...messages.map((m) => m.id), ...messages.flatMap((m) => m.files.map((f) => f.id))]
  if (new Set(ids).size !== ids.length) fail('messages: an id is given twice')
  const firstPrompt = messages.find((m) => m.role === 'user')?.text ?? ''
  const name =
    value.name === undefined || value.name === null
      ? titleFromPrompt(firstPrompt) || 'Imported session'
      : text(value.name, 'name', MAX_NAME_LENGTH)
  if (name.trim() === '') fail('name: must contain something besides white space')
  const routine = value.routine_id
  if (routine !== undefined && routine !== null && typeof routine !== 'string')
    fail('routine_id: a string or null')
  return {
    session: {
      id: sessionId,
      agentId,
      name,
      routineId: typeof routine === 'string' ? routine : null,
      createdAt,
      updatedAt,
      pinned: value.pinned === true,
      archived: value.archived === true,
      tags: tags(value.tags),
      metadata: metadata(value.metadata),
      messages,
    },
    filesLeftOut,
  }
}

/**
 * Reads one line of an import: the session it holds, or what is wrong with it (with its id,
 * when it has one). Never throws.
 *
 * @example
 * ```ts
 * readImportLine('{"id":"s1","agent_id":"echo","created_at":"2024-05-01T10:00:00Z",' +
 *   '"updated_at":"2024-05-01T10:01:00Z","status":"Ready","messages":[{"role":"user","text":"Hi"}]}',
 *   10_485_760)
 * // { session: { id: 's1', name: 'Hi', messages: [{ id: '…', role: 'user', … }], … }, filesLeftOut: 0 }
 * ```
 */
export function readImportLine(line: string, maxFileBytes: number): ImportLine {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { problem: 'not JSON' }
  }
  const lineId = isRecord(value) && typeof value.id === 'string' ? value.id : undefined
  try {
    return session(value, maxFileBytes)
  } catch (error) {
    if (!(error instanceof LineProblem)) throw error
    return { problem: error.message, ...(lineId !== undefined && { id: lineId }) }
  }
}
