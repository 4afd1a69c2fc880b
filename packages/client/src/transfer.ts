/**
 * Export and import (`export_sessions`, `export_session`, `import_sessions`): an owner's sessions
 * as NDJSON, read back here as a stream of parsed records.
 */
import type { Session } from '@uxmate/contract'
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import { UxmateApiError } from './errors.ts'
import type { PathParams, QueryParams, ResponseData } from './types.ts'

/** The methods of `client.sessions` that move sessions out and in. */
export interface TransferApi {
  /**
   * `GET /sessions/export` (`export_sessions`): every session of the owner, each a `Session`
   * parsed from its NDJSON line as it arrives (the server streams them).
   *
   * @example
   * ```ts
   * for await (const session of client.sessions.exportSessions({ files: 'inline' })) save(session)
   * ```
   */
  exportSessions(
    query?: QueryParams<'export_sessions'>,
    options?: RequestOptions,
  ): AsyncGenerator<Session, void, undefined>

  /**
   * `GET /sessions/{session_id}/export` (`export_session`): one session, as its export line.
   *
   * @example
   * ```ts
   * const session = await client.sessions.exportSession(id, { files: 'inline' })
   * ```
   */
  exportSession(
    session_id: PathParams<'export_session'>['session_id'],
    query?: QueryParams<'export_session'>,
    options?: RequestOptions,
  ): Promise<Session>

  /**
   * `POST /sessions/import` (`import_sessions`): sessions from NDJSON (what the exports
   * give, or the original service's sessions), each line reported: imported, skipped (already
   * there), conflict (another owner's id) or invalid.
   *
   * @example
   * ```ts
   * const report = await client.sessions.importSessions(sessions.map((s) => JSON.stringify(s)).join('\n'))
   * console.log(report.imported, report.skipped)
   * ```
   */
  importSessions(
    ndjson: string | Blob,
    options?: RequestOptions,
  ): Promise<ResponseData<'import_sessions'>>
}

/** The lines of an NDJSON stream, each parsed, as they arrive. */
async function* ndjsonRecords<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as T
  }
  pending += decoder.decode()
  if (pending.trim() !== '') yield JSON.parse(pending) as T
}

/** Builds the transfer methods on a call context. */
export function createTransferApi(context: CallContext): TransferApi {
  const { raw } = context
  const api: TransferApi = {
    async *exportSessions(query = {}, options = {}) {
      const { data, error, response } = await raw.GET('/sessions/export', {
        params: { query, header: headerParams(options) },
        parseAs: 'stream',
        ...initFor(context, options),
      })
      if (!response.ok || !data) throw new UxmateApiError('export_sessions', response, error)
      yield* ndjsonRecords<Session>(data)
    },

    async exportSession(session_id, query = {}, options = {}) {
      const { data, error, response } = await raw.GET('/sessions/{session_id}/export', {
        params: { path: { session_id }, query, header: headerParams(options) },
        parseAs: 'text',
        ...initFor(context, options),
      })
      if (!response.ok || data === undefined)
        throw new UxmateApiError('export_session', response, error)
      return JSON.parse(data) as Session
    },

    importSessions(ndjson, options = {}) {
      const file =
        typeof ndjson === 'string' ? new Blob([ndjson], { type: 'application/x-ndjson' }) : ndjson
      return unwrap(
        'import_sessions',
        raw.POST('/sessions/import', {
          params: { header: headerParams(options) },
          body: { file },
          bodySerializer: () => {
            const form = new FormData()
            form.append('file', file, 'sessions.ndjson')
            return form
          },
          ...initFor(context, options),
        }),
      )
    },
  }
  return api
}
