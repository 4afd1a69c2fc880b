import { readImportLine } from './session-import.ts'
import type { SessionRecord, SessionStore } from './session-store.ts'

/** The most sessions (non-empty lines) one import may hold. */
export const MAX_IMPORT_SESSIONS = 1000
/** Sessions read from the store at a time while an export streams. */
const EXPORT_PAGE = 20

export type ImportOutcome = 'imported' | 'skipped' | 'conflict' | 'invalid'

/** What became of one line of an import. */
export interface ImportLineResult {
  /** The line's number in the file, from 1. */
  line: number
  id?: string
  result: ImportOutcome
  /** Why a line was `invalid` or a `conflict`. */
  detail?: string
  /** Files of the line without `data_base64` (exported as links), not imported. */
  filesLeftOut?: number
}

export interface ImportReport {
  counts: Record<ImportOutcome, number>
  lines: ImportLineResult[]
}

const CONFLICT =
  'The id of this session, or of one of its messages or files, is taken by another session'

/**
 * Imports NDJSON (one session a line, see `session-import.ts`) for `owner`, each session in a
 * transaction of its own: a bad line is reported and the others go on. A session the owner has
 * already is skipped, so importing twice adds nothing; one whose id another owner (or another
 * session's message) has is a `conflict`, and that session is left untouched.
 *
 * @example
 * ```ts
 * await importSessions(store, 'alice', ndjson, 10_485_760)
 * // { counts: { imported: 2, skipped: 0, conflict: 0, invalid: 0 }, lines: [...] }
 * ```
 */
export async function importSessions(
  store: SessionStore,
  owner: string,
  ndjson: string,
  maxFileBytes: number,
): Promise<ImportReport | 'too_many_sessions'> {
  const lines = ndjson
    .split('\n')
    .map((text, index) => ({ text: text.trim(), number: index + 1 }))
    .filter((line) => line.text !== '')
  if (lines.length > MAX_IMPORT_SESSIONS) return 'too_many_sessions'
  const report: ImportReport = {
    counts: { imported: 0, skipped: 0, conflict: 0, invalid: 0 },
    lines: [],
  }
  for (const line of lines) {
    const read = readImportLine(line.text, maxFileBytes)
    let result: ImportLineResult
    if ('problem' in read) {
      result = { line: line.number, result: 'invalid', detail: read.problem }
      if (read.id !== undefined) result.id = read.id
    } else {
      const stored = await store.importSession(owner, read.session)
      const outcome =
        stored === 'imported' ? 'imported' : stored === 'exists' ? 'skipped' : 'conflict'
      result = { line: line.number, id: read.session.id, result: outcome }
      if (outcome === 'conflict') result.detail = CONFLICT
      if (read.filesLeftOut > 0) result.filesLeftOut = read.filesLeftOut
    }
    report.counts[result.result] += 1
    report.lines.push(result)
  }
  return report
}

/**
 * Every session of the owner with its messages, by id, read a few at a time as the consumer
 * asks for them (an export streams: memory stays that of a few sessions).
 *
 * @example
 * ```ts
 * for await (const session of exportSessions(store, 'alice')) write(JSON.stringify(session))
 * ```
 */
export async function* exportSessions(
  store: SessionStore,
  owner: string,
): AsyncGenerator<SessionRecord, void, undefined> {
  let after: string | undefined
  while (true) {
    const page = await store.exportSessions({
      owner,
      limit: EXPORT_PAGE,
      ...(after !== undefined && { after }),
    })
    yield* page
    const last = page.at(-1)
    if (page.length < EXPORT_PAGE || !last) return
    after = last.id
  }
}
