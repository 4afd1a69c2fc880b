/**
 * The JSON the peer answers: field for field what our server's presenters write, so that the
 * two answer the same bytes (the bench checks it before it measures).
 */
import type { ActivityRow, SessionRow, SessionWithMessages } from './peer-store.ts'

/** The echo agent as our server describes it. */
export const ECHO_AGENT = {
  id: 'echo',
  name: 'Echo',
  assistant_id: 'echo',
  assistant_nickname: 'Echo',
  welcome_message: 'Hi! I repeat what you tell me.',
  user_initial_message: '',
  icon: '',
  visibility_requirements: [] as string[],
}

const iso = (ms: number) => new Date(ms).toISOString()

export function toWireSession({ row, messages }: SessionWithMessages) {
  const wire: Record<string, unknown> = {
    id: row.id,
    agent_id: row.agent_id,
    name: row.name,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    status: row.status,
    routine_id: row.routine_id,
    messages: messages.map(({ row: message, files }) => {
      const out: Record<string, unknown> = {
        id: message.id,
        role: message.role,
        text: message.text,
        created_at: iso(message.created_at),
        parent_id: message.parent_id,
      }
      if (files.length > 0) {
        out.files = files.map((file) => ({
          id: file.id,
          name: file.name,
          content_type: file.content_type,
          size: file.size,
          sha256: file.sha256,
          url: `/sessions/${row.id}/files/${file.id}`,
        }))
      }
      return out
    }),
  }
  if (row.error_code !== null) {
    wire.error = { code: row.error_code, message: row.error_message ?? '' }
  }
  return { ...wire, ...organised(row) }
}

/** The pin, archive, tags and metadata, as our server writes them after the rest. */
function organised(row: SessionRow) {
  return {
    pinned: row.pinned === 1,
    archived: row.archived === 1,
    tags: JSON.parse(row.tags) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  }
}

/** The latest message's start as our server previews it: white space runs made one, 160 code points. */
function preview(text: string): string {
  return Array.from(text.replace(/\s+/g, ' ').trim()).slice(0, 160).join('')
}

function agentProfile(id: string) {
  if (id === ECHO_AGENT.id) return ECHO_AGENT
  return {
    id,
    name: id,
    assistant_id: id,
    assistant_nickname: id,
    welcome_message: '',
    user_initial_message: '',
    icon: '',
    visibility_requirements: [],
  }
}

export function toWireSummary(row: SessionRow, activity: ActivityRow | undefined) {
  return {
    id: row.id,
    agent: agentProfile(row.agent_id),
    updated_at: iso(row.updated_at),
    name: row.name,
    ...organised(row),
    message_count: activity?.message_count ?? 0,
    ...(activity && {
      last_message_at: iso(activity.created_at),
      last_message_preview: preview(activity.start),
    }),
  }
}

/** Keyset cursor, encoded as our server encodes it: base64url of `[updatedAt, id]`. */
export function encodeCursor(cursor: { updatedAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([cursor.updatedAt, cursor.id])).toString('base64url')
}

export function decodeCursor(text: string): { updatedAt: number; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 2) return undefined
    const [time, id] = value
    if (!Number.isSafeInteger(time) || typeof id !== 'string') return undefined
    return { updatedAt: time, id }
  } catch {
    return undefined
  }
}

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** Sidebar buckets by calendar day in `zone`, computed the way our server computes them. */
export function groupByRecency(
  rows: SessionRow[],
  activity: Map<string, ActivityRow>,
  now: Date,
  zone: string,
) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
  const localDay = (instant: Date) => {
    const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]))
    return {
      day: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86_400_000,
      month: `${parts.year}-${parts.month}`,
    }
  }
  const today = localDay(now).day
  const groups: Record<string, ReturnType<typeof toWireSummary>[]> = {}
  for (const row of rows) {
    const { day, month } = localDay(new Date(row.updated_at))
    const ago = today - day
    const bucket =
      ago <= 0
        ? 'Today'
        : ago === 1
          ? 'Yesterday'
          : ago <= 7
            ? 'Previous 7 Days'
            : ago <= 30
              ? 'Previous 30 Days'
              : month
    const list = groups[bucket] ?? []
    list.push(toWireSummary(row, activity.get(row.id)))
    groups[bucket] = list
  }
  return groups
}
