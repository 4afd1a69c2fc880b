import type { BodySpec } from './load-spec.ts'

/**
 * The request's body, made once so that a run resends the same bytes: JSON, or the platform's
 * own multipart encoding of a `FormData` (text fields first, then files, as browsers send them).
 *
 * @example
 * ```ts
 * const { body, contentType } = await encodeBody({ kind: 'json', value: { text_prompt: 'Hi' } })
 * ```
 */
export async function encodeBody(spec: BodySpec): Promise<{ body: Buffer; contentType?: string }> {
  if (spec.kind === 'json') {
    return { body: Buffer.from(JSON.stringify(spec.value)), contentType: 'application/json' }
  }
  const form = new FormData()
  for (const [name, value] of Object.entries(spec.fields)) form.append(name, value)
  // Filler bytes: the server hashes and stores them whatever they are.
  for (const file of spec.files) {
    const data = new Uint8Array(file.bytes).fill(0x61)
    form.append('files', new Blob([data], { type: file.contentType }), file.name)
  }
  const encoded = new Response(form)
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? undefined,
  }
}
