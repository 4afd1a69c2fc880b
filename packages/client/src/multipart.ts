/**
 * The `multipart/form-data` body of `create_session_from_text`, built with the platform's own
 * `FormData`, `Blob` and `File` so that the same code runs in Node 20 and in browsers.
 */
import type { RequestBody } from './types.ts'

/** A file given by its parts: bytes (or text), a file name, and optionally a content type. */
export interface FileData {
  /** The file name sent with the part, e.g. `notes.txt`. */
  name: string
  /** The bytes, e.g. a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`, a `Blob` or text. */
  data: Blob | ArrayBuffer | ArrayBufferView | string
  /** The part's content type; the server stores the file with it. Default: the `Blob`'s, or none. */
  type?: string
}

/** A file to attach: a `File` (its name is sent), a `Blob` (sent as `blob`), or `FileData`. */
export type FileInput = Blob | FileData

type CreateSessionForm = RequestBody<'create_session_from_text', 'multipart/form-data'>

/** The input of `createSessionFromText`: the contract's form, with friendlier `files`. */
export type CreateSessionFromTextInput = Omit<CreateSessionForm, 'files'> & {
  /** Files attached to the first message; each becomes one `files` part. */
  files?: readonly FileInput[]
}

/** Turns a `FileInput` into a `Blob` (a `File` when it has a name). */
export function toBlob(input: FileInput): Blob {
  if (input instanceof Blob) return input
  const type = input.type ?? (input.data instanceof Blob ? input.data.type : '')
  // `BlobPart` only admits views over a plain ArrayBuffer; every view works at run time.
  return new File([input.data as BlobPart], input.name, { type })
}

/**
 * The contract's form as `FormData`: fields first, then one `files` part per file, which is
 * how the server (and FastAPI before it) reads repeated parts.
 *
 * @example
 * ```ts
 * const form = toFormData({ agent_id: 'echo', text_prompt: 'Hi', files: [new File(['x'], 'x.txt')] })
 * ```
 */
export function toFormData(form: CreateSessionForm): FormData {
  const data = new FormData()
  data.append('agent_id', form.agent_id)
  data.append('text_prompt', form.text_prompt)
  for (const file of form.files ?? []) data.append('files', file)
  return data
}
