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
  const flat = text.replace(/\s+/g, ' ').trim()
  const points = Array.from(flat)
  return points.length <= PREVIEW_CHARACTERS ? flat : points.slice(0, PREVIEW_CHARACTERS).join('')
}
