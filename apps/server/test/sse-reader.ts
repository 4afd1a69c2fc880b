/**
 * Reads a Server-Sent Events response a block at a time, for tests: events with their `data`
 * parsed as JSON, and comments (keep-alives) as themselves. The server writes `\n` line ends
 * and one `data` line an event, which is all this needs to read.
 */
export type SseItem =
  | { kind: 'event'; event: string; id: number; data: unknown }
  | { kind: 'comment'; text: string }

export interface SseReader {
  /** The next event or comment; `undefined` once the stream has ended. */
  next(): Promise<SseItem | undefined>
  /** The next event, skipping comments; `undefined` once the stream has ended. */
  nextEvent(): Promise<Extract<SseItem, { kind: 'event' }> | undefined>
  /** Every event until the stream ends (comments skipped). */
  rest(): Promise<Array<Extract<SseItem, { kind: 'event' }>>>
  /** Closes the connection from the client's side. */
  cancel(): Promise<void>
}

export function readSse(response: Response): SseReader {
  if (!response.body) throw new Error('The response has no body')
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let ended = false

  const parse = (block: string): SseItem => {
    const fields: Record<string, string> = {}
    const comments: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim())
      else {
        const colon = line.indexOf(':')
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '')
      }
    }
    if (fields.event === undefined) return { kind: 'comment', text: comments.join('\n') }
    return {
      kind: 'event',
      event: fields.event,
      id: Number(fields.id),
      data: JSON.parse(fields.data ?? 'null'),
    }
  }

  const next = async (): Promise<SseItem | undefined> => {
    while (true) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        return parse(block)
      }
      if (ended) return undefined
      const { done, value } = await reader.read()
      if (done) ended = true
      else buffer += decoder.decode(value, { stream: true })
    }
  }

  const nextEvent = async () => {
    while (true) {
      const item = await next()
      if (item === undefined || item.kind === 'event') return item
    }
  }

  return {
    next,
    nextEvent,
    async rest() {
      const events: Array<Extract<SseItem, { kind: 'event' }>> = []
      for (let event = await nextEvent(); event; event = await nextEvent()) events.push(event)
      return events
    },
    cancel: () => reader.cancel(),
  }
}
