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
    this.#buffer += text
    const events: SseEvent[] = []
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.#buffer)
      if (!end) break
      const block = this.#buffer.slice(0, end.index)
      this.#buffer = this.#buffer.slice(end.index + end[0].length)
      const event = parseBlock(block)
      if (event) events.push(event)
    }
    return events
  }
}

function parseBlock(block: string): SseEvent | undefined {
  const data: string[] = []
  const event: Partial<SseEvent> = {}
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'id') event.id = value
    else if (field === 'event') event.event = value
  }
  // A block of comments only (a heartbeat) is no event.
  if (data.length === 0 && event.id === undefined && event.event === undefined) return undefined
  return { ...event, data: data.join('\n') }
}
