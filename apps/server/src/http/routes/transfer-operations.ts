import { joinPieces } from '../../domain/file-chunks.ts'
import type { SessionService } from '../../domain/session-service.ts'
import type { SessionRecord } from '../../domain/session-store.ts'
import { MAX_IMPORT_SESSIONS } from '../../domain/session-transfer.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toSession } from '../presenters.ts'
import { validationError } from '../validation/index.ts'

type FilesMode = 'links' | 'inline'

const NDJSON = 'application/x-ndjson'

/** A session as one line of an export: `get_session`'s shape, files' bytes inline if asked. */
async function exportLine(
  sessions: SessionService,
  session: SessionRecord,
  files: FilesMode,
): Promise<string> {
  const wire = toSession(session)
  if (files === 'inline')
    for (const message of wire.messages)
      for (const file of message.files ?? []) {
        const data = await sessions.fileBytes(session.id, file.id)
        if (data) file.data_base64 = Buffer.from(data).toString('base64')
      }
  return `${JSON.stringify(wire)}\n`
}

const attachment = (name: string) => ({
  'Content-Type': NDJSON,
  'Content-Disposition': `attachment; filename="${name}.ndjson"`,
})

/**
 * The handlers of `export_sessions`, `export_session` and `import_sessions`: an owner's
 * sessions out as NDJSON (streamed) and back in.
 */
export function transferOperations(options: {
  sessions: SessionService
  maxFileBytes: number
}): OperationHandler[] {
  const { sessions, maxFileBytes } = options
  return [
    operation('export_sessions', async (c) => {
      const { files = 'links' } = c.req.valid('query')
      const each = sessions.export(c.get('owner'))
      const encoder = new TextEncoder()
      // Pulled as the client reads: a session is read from the store when the last is sent.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await each.next()
          if (next.done) controller.close()
          else controller.enqueue(encoder.encode(await exportLine(sessions, next.value, files)))
        },
        async cancel() {
          await each.return()
        },
      })
      return c.body(body, 200, attachment('sessions'))
    }),

    operation('export_session', async (c) => {
      const { session_id } = c.req.valid('param')
      const { files = 'links' } = c.req.valid('query')
      const session = await sessions.get(c.get('owner'), session_id)
      if (session === 'not_found') return c.json({ detail: 'Session not found' }, 404)
      return c.body(await exportLine(sessions, session, files), 200, attachment('session'))
    }),

    operation('import_sessions', async (c) => {
      const { file } = c.req.valid('form')
      let text: string
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(joinPieces(file.chunks))
      } catch {
        return c.json(validationError(['body', 'file'], 'The file is not UTF-8', file.name), 422)
      }
      const report = await sessions.import(c.get('owner'), text, maxFileBytes)
      if (report === 'too_many_sessions')
        return c.json(
          validationError(
            ['body', 'file'],
            `The file holds more than ${MAX_IMPORT_SESSIONS} sessions`,
            file.name,
          ),
          422,
        )
      return c.json(
        {
          ...report.counts,
          lines: report.lines.map(({ filesLeftOut, ...line }) => ({
            ...line,
            ...(filesLeftOut !== undefined && { files_left_out: filesLeftOut }),
          })),
        },
        200,
      )
    }),
  ]
}
