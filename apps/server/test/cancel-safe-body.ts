/**
 * `init` with a FormData body replaced by the same bytes in a stream that may be cancelled. The
 * server cancels a body it refuses part-way (413); Node 24's fetch writes a FormData body from a
 * task that nothing awaits, which then enqueues into the cancelled stream and fails the process
 * with an unhandled rejection (nodejs/undici#5835). Sockets, where the server's bodies come
 * from in production, have no such task.
 *
 * @example
 * ```ts
 * await app.request('/sessions/text', await cancelSafe({ method: 'POST', body: form }))
 * ```
 */
export async function cancelSafe(init: RequestInit): Promise<RequestInit> {
  if (!(init.body instanceof FormData)) return init
  const encoded = new Response(init.body)
  const bytes = new Uint8Array(await encoded.arrayBuffer())
  const headers = new Headers(init.headers)
  headers.set('Content-Type', encoded.headers.get('Content-Type') ?? '')
  let offset = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + CHUNK_BYTES))
      offset += CHUNK_BYTES
    },
  })
  return { ...init, headers, body, duplex: 'half' } as RequestInit
}

/** What a socket typically hands over at once. */
const CHUNK_BYTES = 64 * 1024
