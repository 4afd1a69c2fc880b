/** How many characters (code points) of the latest message a sidebar summary shows. */
export const PREVIEW_CHARACTERS = 160

/**
 * How many characters of a message the store reads to make its preview: more than shown, since
 * runs of white space shrink to one.
 */
export const PREVIEW_SOURCE_CHARACTERS = 4 * PREVIEW_CHARACTERS

/**
 * The start of a message as a sidebar shows it: runs of white space (new lines included) made
 * one space, trimmed, then cut to {@link PREVIEW_CHARACTERS} code points (an emoji is never
 * cut in half).
 *
 * @example
 * ```ts
 * messagePreview('  Hello,\n\n  world  ') // 'Hello, world'
 * ```
 */
export function messagePreview(text: string): string {
  // Measured (issue 21): most previews are short, single-spaced text, and the replace, trim and
  // code point array were ~5% of an uncached grouped read; such text is its own preview (at most
  // 160 UTF-16 units is at most 160 code points).
  if (text.length <= PREVIEW_CHARACTERS && !NOT_FLAT.test(text)) return text
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= PREVIEW_CHARACTERS) return flat
  let end = 0
  for (let points = 0; points < PREVIEW_CHARACTERS && end < flat.length; points++)
    end += (flat.codePointAt(end) ?? 0) > 0xffff ? 2 : 1
  return flat.slice(0, end)
}

/** White space other than one space between two other characters: what the preview changes. */
const NOT_FLAT = /[^\S ]| {2}|^ | $/
