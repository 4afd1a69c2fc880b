/**
 * A Server-Sent Events parser, as the HTML standard specifies it ("Interpreting an event
 * stream"): lines end in CRLF, LF or CR (also when split across chunks); `:` starts a comment;
 * `data` lines are joined with `\n`; `id` sticks until changed; an event is dispatched on a blank
 * line, and one left unfinished when the stream ends is dropped. Only `ReadableStream` readers
 * and `TextDecoder`, so it runs in browsers as well as Node.
 */

/** One dispatched event. */
export interface SseMessage {
  /** The `event` field; `message` when the event had none. */
  event: string
  /** The `data` lines, joined with `\n`. */
  data: string
  /** The last `id` seen so far in the stream (the stream's "last event ID"); '' if none. */
  id: string
  /** The `retry` field of this event, in milliseconds, when it had a valid one. */
  retry?: number
}

/**
 * Reads events from an SSE body until it ends. Stopping the loop (`break`, `return`) or aborting
 * `signal` cancels the body, which closes the connection; an abort ends the loop quietly (check
 * `signal.aborted`), even with a `fetch` that does not tie the body to its signal.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { headers: { Accept: 'text/event-stream' } })
 * for await (const message of readSse(response.body!)) console.log(message.event, message.data)
 * ```
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  lastEventId = '',
  signal?: AbortSignal,
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader()
  // Cancelling settles a pending read as done.
  const stop = () => void reader.cancel(signal?.reason).catch(() => {})
  if (signal?.aborted) stop()
  signal?.addEventListener('abort', stop, { once: true })
  // A decoder drops a leading byte order mark, as the standard asks.
  const decoder = new TextDecoder()
  let buffer = ''
  let data: string[] = []
  let event = ''
  let retry: number | undefined
  let id = lastEventId
  let done = false

  /** The event a blank line completes, if it has data; the fields start over either way. */
  const dispatch = (): SseMessage | undefined => {
    const message: SseMessage | undefined =
      data.length === 0 ? undefined : { event: event || 'message', data: data.join('\n'), id }
    if (message && retry !== undefined) message.retry = retry
    data = []
    event = ''
    retry = undefined
    return message
  }

  const field = (line: string) => {
    const colon = line.indexOf(':')
    const name = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (name === 'data') data.push(value)
    else if (name === 'event') event = value
    else if (name === 'id' && !value.includes('\0')) id = value
    else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value)
  }

  try {
    while (true) {
      // Cut every complete line off the buffer. A CR at its very end may be the first half of
      // a CRLF: it waits for the next chunk (or the end).
      let end = buffer.search(/[\r\n]/)
      while (end >= 0 && !(buffer[end] === '\r' && end === buffer.length - 1 && !done)) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(buffer[end] === '\r' && buffer[end + 1] === '\n' ? end + 2 : end + 1)
        if (line === '') {
          const message = dispatch()
          if (message) yield message
        } else if (!line.startsWith(':')) field(line)
        end = buffer.search(/[\r\n]/)
      }
      if (done) return
      const chunk = await reader.read()
      if (chunk.done) {
        done = true
        buffer += decoder.decode()
      } else buffer += decoder.decode(chunk.value, { stream: true })
    }
  } finally {
    signal?.removeEventListener('abort', stop)
    // Frees the connection when the consumer stops early; a no-op once the body has ended.
    reader.cancel().catch(() => {})
  }
}
