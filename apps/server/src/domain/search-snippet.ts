import { MAX_SEARCH_WORD_LENGTH, type SearchQuery, termMatchesAt } from './search-query.ts'

/** The marks around each matched word of a snippet; the rest of it is escaped HTML. */
export const MARK_OPEN = '<mark>'
export const MARK_CLOSE = '</mark>'

/** How much text a snippet shows at most, and how much of it comes before the first match. */
export const SNIPPET_LENGTH = 200
const LEAD = 60
const ELLIPSIS = '…'

interface Word {
  text: string
  start: number
  end: number
}

const WORD = /[\p{L}\p{N}]+/gu

function wordsWithOffsets(text: string): Word[] {
  return [...text.matchAll(WORD)].map((match) => ({
    text: match[0].toLowerCase().slice(0, MAX_SEARCH_WORD_LENGTH),
    start: match.index,
    end: match.index + match[0].length,
  }))
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/**
 * The part of `text` around its first match of the query's terms, at most
 * {@link SNIPPET_LENGTH} characters, cut at word boundaries (`…` where cut), with every
 * matched word within it between `<mark>` and `</mark>` and everything else HTML-escaped (`&`,
 * `<`, `>`), so that it can be shown as HTML as it is. Made here rather than by each database
 * (FTS5's snippet(), ts_headline) so that it reads the same on SQLite and PostgreSQL.
 *
 * @example
 * ```ts
 * searchSnippet('Plan a user interview', parsed('interv'))
 * // 'Plan a user <mark>interview</mark>'
 * ```
 */
export function searchSnippet(text: string, query: SearchQuery): string {
  const words = wordsWithOffsets(text)
  const texts = words.map((word) => word.text)
  const marked = new Set<number>()
  for (const term of query.terms) {
    if (term.negated) continue
    for (let index = 0; index < words.length; index++)
      if (termMatchesAt(term, texts, index))
        for (let offset = 0; offset < term.words.length; offset++) marked.add(index + offset)
  }
  let first: number | undefined
  for (const index of marked) if (first === undefined || index < first) first = index
  const firstStart = first === undefined ? 0 : (words[first] as Word).start
  let start = Math.max(0, firstStart - LEAD)
  // Start at a word's start rather than inside one.
  const startWord = words.find((word) => word.end > start)
  if (startWord && startWord.start < start && startWord.end <= firstStart) start = startWord.end
  let end = Math.min(text.length, start + SNIPPET_LENGTH)
  const endWord = words.find((word) => word.start < end && word.end > end)
  if (endWord && endWord.start > start) end = endWord.start
  // Never half of a character that takes two UTF-16 units.
  const before = text.charCodeAt(end - 1)
  if (end < text.length && before >= 0xd800 && before <= 0xdbff) end -= 1
  while (start < end && /\s/u.test(text.charAt(start))) start += 1
  let snippet = start > 0 ? ELLIPSIS : ''
  let at = start
  for (const [index, word] of words.entries()) {
    if (word.start < start || word.end > end || !marked.has(index)) continue
    snippet += `${escapeHtml(text.slice(at, word.start))}${MARK_OPEN}${escapeHtml(text.slice(word.start, word.end))}${MARK_CLOSE}`
    at = word.end
  }
  snippet += escapeHtml(text.slice(at, end).trimEnd())
  return end < text.length ? `${snippet}${ELLIPSIS}` : snippet
}
