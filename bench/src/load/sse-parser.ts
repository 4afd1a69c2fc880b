/** One server-sent event. */
export interface SseEvent {
  id?: string
  event?: string
  data: string
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules that matter here: fields
 * `id`, `event` and `data`, comments, CRLF or LF line ends, events ended by a blank line).
 *
 * @example
 * ```ts
 * const parser = new SseParser()
 * parser.push('id: 1\ndata: hi\n\n') // [{ id: '1', data: 'hi' }]
 * ```
 */
export class SseParser {
  #buffer = ''

  /** Adds received text; returns the events it completed. */
  push(text: string): SseEvent[] {
    // Indexing, not regular expressions: one process parses every subscriber's stream, and its
    // cost per event delays the arrivals the bench measures. CRLF becomes LF first (a CR left
    // at the end waits for its LF in the next chunk).
    let buffer = this.#buffer + text
    if (buffer.includes('\r')) buffer = buffer.replace(/\r\n/g, '\n')
    const events: SseEvent[] = []
    let start = 0
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n', start)) {
      const event = parseBlock(buffer, start, end)
      if (event) events.push(event)
      start = end + 2
    }
    this.#buffer = start === 0 ? buffer : buffer.slice(start)
    return events
  }
}

/** The event of the lines in `text` from `start` to `end` (LF line ends). */
function parseBlock(text: string, start: number, end: number): SseEvent | undefined {
  let id: string | undefined
  let name: string | undefined
  let data: string | undefined
  for (let at = start; at < end; ) {
    let lineEnd = text.indexOf('\n', at)
    if (lineEnd < 0 || lineEnd > end) lineEnd = end
    // Empty lines and comments (`:`) carry no field.
    if (lineEnd > at && text.charCodeAt(at) !== 58) {
      let colon = text.indexOf(':', at)
      if (colon < 0 || colon > lineEnd) colon = lineEnd
      const field = text.slice(at, colon)
      let valueAt = Math.min(colon + 1, lineEnd)
      if (text.charCodeAt(valueAt) === 32 && valueAt < lineEnd) valueAt += 1
      const value = text.slice(valueAt, lineEnd)
      if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
      else if (field === 'id') id = value
      else if (field === 'event') name = value
    }
    at = lineEnd + 1
  }
  // A block of comments only (a heartbeat) is no event.
  if (data === undefined && id === undefined && name === undefined) return undefined
  const event: SseEvent = { data: data ?? '' }
  if (id !== undefined) event.id = id
  if (name !== undefined) event.event = name
  return event
}
