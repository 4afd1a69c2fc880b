/**
 * `multipart/form-data` bodies, parsed with busboy as they stream in. Every limit is enforced on
 * the bytes as they arrive: a request over a limit stops being read at once and nothing of it
 * is kept (a body of at most 64 KiB is read whole first). Works on any `Request`
 * (`app.request()` in tests, real sockets in production) since it reads the body through the
 * `Request` and never touches Node's `IncomingMessage`.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import busboy from 'busboy'
import type { BodyLimits } from '../../../config/config.ts'
import { valueErrorIssue } from '../errors/fastapi-errors.ts'
import {
  bodyTooLarge,
  invalidBody,
  payloadTooLarge,
  type RequestRejection,
} from '../errors/request-rejection.ts'
import { type BodyChunks, bodyChunks, declaredLength, unreadableBody } from './body-stream.ts'
import { FileBytes } from './file-bytes.ts'
import { freeChunk, HeldUpload } from './held-upload.ts'
import { multipartBoundary, PartHeaderSniffer } from './part-headers.ts'
import type { UploadGate } from './upload-gate.ts'
import { sanitizeContentType, sanitizeFileName, type UploadedFile } from './uploaded-file.ts'

/** One part, in the order received: a text field or a whole file. */
export type FormEntry = { kind: 'text'; value: string } | { kind: 'file'; file: UploadedFile }

/** Field name to its parts, in the order received. */
export type FormEntries = Map<string, FormEntry[]>

/**
 * Bodies up to this size, with a Content-Length, are read whole rather than streamed: a text
 * prompt with its fields, or a small file. Larger ones are streamed, so that their limits hold
 * as the bytes arrive.
 */
const WHOLE_BODY_BYTES = 64 * 1024

type MultipartLimits = Pick<
  BodyLimits,
  'maxFileBytes' | 'maxFiles' | 'maxRequestBytes' | 'maxFormFields' | 'maxFieldBytes'
>

/** pydantic's words for bytes that are not text in the encoding they should be in. */
function notUnicode(name: string): RequestRejection {
  return invalidBody({
    type: 'string_unicode',
    loc: ['body', name],
    msg: 'Input should be a valid string, unable to parse raw data as a unicode string',
    input: null,
  })
}

// A leading U+FEFF is part of the value, as Python's bytes.decode keeps it: stripping it would
// turn a field of only that character into an empty, i.e. missing, one.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * A text field's value as UTF-8, or `undefined` when its bytes are not UTF-8. Fields arrive
 * from busboy decoded as Latin-1, one character a byte (see `defCharset` below), so that the
 * bytes can be read back and decoded strictly: busboy's own UTF-8 decoding would replace
 * invalid bytes with U+FFFD and store a prompt the user never wrote.
 */
function utf8Field(latin1: string): string | undefined {
  try {
    return strictUtf8.decode(Buffer.from(latin1, 'latin1'))
  } catch {
    return undefined
  }
}

function malformed(reason: string): RequestRejection {
  return invalidBody(
    valueErrorIssue(['body'], `Malformed multipart/form-data body: ${reason}`, null),
  )
}

const noop = () => undefined

/**
 * What lets go of the memory of a form's files (their `stored`, the same for all of a
 * request's files); nothing to do for a form without files.
 *
 * @example
 * ```ts
 * const release = formRelease(entries)
 * try { await handle(entries) } finally { release() }
 * ```
 */
export function formRelease(entries: FormEntries): () => void {
  for (const parts of entries.values())
    for (const part of parts) if (part.kind === 'file') return part.file.stored ?? noop
  return noop
}

/** Resolves once busboy can take more bytes, or has stopped. */
function writable(parser: busboy.Busboy): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off('drain', done)
      parser.off('close', done)
      parser.off('error', done)
      resolve()
    }
    parser.on('drain', done)
    parser.on('close', done)
    parser.on('error', done)
  })
}

/**
 * Reads a multipart body: the text values and files of the fields in `fieldNames` (other parts
 * are read, counted against the limits and dropped). Throws a {@link RequestRejection}: 413
 * past `maxFileBytes` (one file), `maxFiles` or `maxRequestBytes` (the whole body, whatever
 * `Content-Length` says), 422 for a malformed or truncated body. With a `gate`, the body is read
 * only while the bytes of all the bodies held through it fit in its budget: a body with files
 * is held until they are stored (each file's `stored`), else until it is parsed.
 *
 * @example
 * ```ts
 * const entries = await readMultipartBody(c.req.raw, limits, new Set(['agent_id', 'files']))
 * const files = (entries.get('files') ?? []).flatMap((e) => (e.kind === 'file' ? [e.file] : []))
 * ```
 */
export async function readMultipartBody(
  request: Request,
  limits: MultipartLimits,
  fieldNames: ReadonlySet<string>,
  gate?: UploadGate,
  incoming?: IncomingMessage,
): Promise<FormEntries> {
  const contentType = request.headers.get('content-type') ?? ''
  const declared = declaredLength(request.headers)
  if ((declared ?? 0) > limits.maxRequestBytes) {
    throw bodyTooLarge(limits.maxRequestBytes)
  }
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      // Names are sanitised here, not by busboy, so that the rules are ours and tested.
      preservePath: true,
      // Browsers send file names as raw UTF-8; busboy's default would read them as Latin-1.
      defParamCharset: 'utf8',
      // Text fields without a charset (all that browsers and curl send) arrive byte for byte,
      // to be decoded strictly as UTF-8 (utf8Field); a part naming its charset is decoded in it.
      defCharset: 'latin1',
      limits: {
        // Past these busboy stops handing parts over, and says so: a 413, never a silent cut.
        // It says a field is cut, and the parts' limit is reached, on reaching the number: one
        // more lets a field of exactly maxFieldBytes, and exactly that many parts, through.
        fieldSize: (limits.maxFieldBytes ?? limits.maxRequestBytes) + 1,
        fields: limits.maxFormFields ?? Number.POSITIVE_INFINITY,
        parts:
          limits.maxFormFields === undefined
            ? Number.POSITIVE_INFINITY
            : limits.maxFiles + limits.maxFormFields + 1,
        // busboy says 'limit' when a file reaches `fileSize`: one byte more lets a file of
        // exactly maxFileBytes through.
        fileSize: limits.maxFileBytes + 1,
      },
    })
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error))
  }
  const boundary = multipartBoundary(contentType)
  const sniffer = boundary === undefined ? undefined : new PartHeaderSniffer(boundary)

  const entries: FormEntries = new Map()
  const add = (name: string, entry: FormEntry) => {
    const list = entries.get(name)
    if (list) list.push(entry)
    else entries.set(name, [entry])
  }
  let failure: RequestRejection | undefined
  const fail = (rejection: RequestRejection) => {
    failure ??= rejection
  }
  let fileCount = 0
  // Streamed bodies only take part in the upload budget: a small one read whole is already in
  // memory, and holding it back would only delay a prompt behind uploads.
  let held: HeldUpload | undefined
  let keptFiles = 0
  let handedOver = false

  parser.on('partsLimit', () =>
    fail(
      payloadTooLarge(
        `At most ${limits.maxFiles + (limits.maxFormFields ?? 0)} parts per request (MAX_FILES + MAX_FORM_FIELDS)`,
      ),
    ),
  )
  parser.on('fieldsLimit', () =>
    fail(
      payloadTooLarge(`At most ${limits.maxFormFields} text fields per request (MAX_FORM_FIELDS)`),
    ),
  )
  parser.on('field', (name, value, info) => {
    // Taken for every text part, kept or not, so that the next part gets its own.
    const charset = sniffer?.takeFieldCharset()
    if (!failure && info.valueTruncated)
      fail(
        payloadTooLarge(
          `Field '${name.slice(0, 100)}' is larger than the limit of ${limits.maxFieldBytes} bytes (MAX_FIELD_BYTES)`,
        ),
      )
    if (failure || !fieldNames.has(name)) return
    // A part that names its charset was decoded in it by busboy; the others came as Latin-1.
    const text = charset === undefined ? utf8Field(value) : value
    if (text === undefined) fail(notUnicode(name))
    else add(name, { kind: 'text', value: text })
  })
  parser.on('file', (name, stream, info) => {
    // A broken file stream is reported through busboy's own 'error'.
    stream.on('error', () => undefined)
    const partType = sniffer ? sniffer.takeFileContentType(info.mimeType) : info.mimeType
    fileCount += 1
    if (fileCount > limits.maxFiles) {
      fail(payloadTooLarge(`At most ${limits.maxFiles} files per request`))
      stream.resume()
      return
    }
    const fileName = sanitizeFileName(info.filename)
    const hash = fieldNames.has(name) ? createHash('sha256') : undefined
    const bytes = hash ? new FileBytes(limits.maxFileBytes) : undefined
    let size = 0
    // busboy counts a file's bytes as it parses them and says 'limit' at once; counting in our
    // 'data' handler instead would lag behind (stream events wait for the next tick).
    stream.on('limit', () =>
      fail(
        payloadTooLarge(
          `File '${fileName}' is larger than the limit of ${limits.maxFileBytes} bytes`,
        ),
      ),
    )
    stream.on('data', (chunk: Buffer) => {
      if (failure) return
      size += chunk.byteLength
      hash?.update(chunk)
      bytes?.append(chunk)
    })
    stream.on('end', () => {
      if (failure || !hash || !bytes) return
      // What a browser sends for a file input left empty: no name, no bytes. Not a file.
      if (size === 0 && !info.filename) return
      const file: UploadedFile = {
        name: fileName,
        contentType: sanitizeContentType(partType),
        chunks: bytes.take(),
        size,
        sha256: hash.digest('hex'),
        stored: held?.release ?? noop,
      }
      keptFiles += 1
      add(name, { kind: 'file', file })
    })
  })
  const finished = new Promise<void>((resolve) => {
    parser.on('error', (error: Error) => {
      fail(malformed(error.message))
      resolve()
    })
    parser.on('close', resolve)
  })

  let total = 0
  /** Counts the next bytes of the body; `false` once it is over the request's limit. */
  const count = (bytes: Uint8Array): boolean => {
    total += bytes.byteLength
    if (total <= limits.maxRequestBytes) return true
    fail(bodyTooLarge(limits.maxRequestBytes))
    return false
  }
  /** Hands bytes of the body to the parser; `false` once the body is refused. */
  const feed = async (bytes: Uint8Array): Promise<boolean> => {
    sniffer?.push(bytes)
    if (!parser.write(bytes)) await writable(parser)
    return !failure
  }
  try {
    let body: BodyChunks | undefined
    if (declared !== undefined && declared <= WHOLE_BODY_BYTES) {
      // A small body is read whole: on @hono/node-server that reads it straight from Node's
      // request, without building a Web stream around it (about 90 µs a request). Node's HTTP
      // parser ends a body at its Content-Length, so no more than that is read.
      let whole: ArrayBuffer | undefined
      try {
        whole = await request.arrayBuffer()
      } catch {
        fail(unreadableBody())
      }
      const bytes = whole && new Uint8Array(whole)
      if (bytes && bytes.byteLength > 0 && count(bytes)) await feed(bytes)
    } else {
      held = new HeldUpload(gate?.lease(), declared)
      body = bodyChunks(request, incoming)
      reading: while (!failure) {
        let chunk: Uint8Array | undefined
        try {
          chunk = await body.next()
        } catch {
          fail(unreadableBody())
          break
        }
        if (chunk === undefined || !count(chunk)) break
        // Waiting for room in the budget, before the next read, leaves the rest of the body
        // in the network.
        const copies = await held.copy(chunk)
        if (body.own) freeChunk(chunk)
        for (const copy of copies) if (!(await feed(copy))) break reading
      }
    }
    if (failure) {
      body?.stop()
      parser.destroy()
      throw failure
    }
    if (total === 0) {
      // No bytes at all: Starlette reads that as an empty form, so fields are then "missing".
      parser.on('error', () => undefined)
      parser.destroy()
      return entries
    }
    parser.end()
    await finished
    if (failure) throw failure
    handedOver = keptFiles > 0
    return entries
  } finally {
    // Held on only for files to store: a refused body, or one without files, is done with.
    if (!handedOver) held?.release()
  }
}
