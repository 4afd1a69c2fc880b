/** One file part of a multipart body. */
export interface FilePart {
  field: string
  name: string
  contentType: string
  data: Uint8Array
}

/**
 * A `multipart/form-data` body, built once so that a load run resends the same bytes: text
 * fields first, then files, as browsers send them.
 *
 * @example
 * ```ts
 * const { body, contentType } = buildMultipart({ agent_id: 'echo', text_prompt: 'hi' }, [])
 * ```
 */
export function buildMultipart(
  fields: Record<string, string>,
  files: readonly FilePart[],
  boundary = 'uxmate-bench-boundary-7d1c0f',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    )
  }
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      ),
      Buffer.from(file.data),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}
