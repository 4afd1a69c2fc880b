/** A piece of a search snippet: matched words are `marked`. */
export interface SnippetPart {
  text: string
  marked: boolean
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"' }

const decodeEntities = (html: string) =>
  html.replace(/&(?:amp|lt|gt|quot);/g, (entity) => ENTITIES[entity] ?? entity)

/**
 * A snippet of `search_sessions` (HTML-escaped text, matches between `<mark>` and `</mark>`) as
 * plain text parts, so that React renders it as text: no markup from the server reaches the
 * page as HTML.
 *
 * @example
 * ```ts
 * snippetParts('a <mark>user</mark> &amp; more')
 * // [{ text: 'a ', marked: false }, { text: 'user', marked: true }, { text: ' & more', marked: false }]
 * ```
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = []
  for (const [index, piece] of snippet.split(/<\/?mark>/).entries())
    if (piece !== '') parts.push({ text: decodeEntities(piece), marked: index % 2 === 1 })
  return parts
}

/**
 * Whether `query` has something for `search_sessions` to look for: a word that is not excluded.
 * The server answers 422 otherwise; asking first keeps a half-typed query from being an error.
 *
 * @example
 * ```ts
 * hasSearchTerm('onbo') // true
 * hasSearchTerm('-draft "') // false
 * ```
 */
export function hasSearchTerm(query: string): boolean {
  const kept = query.replace(/-"[^"]*"?|-[^\s"]+/g, ' ')
  return /[\p{L}\p{N}]/u.test(kept)
}
