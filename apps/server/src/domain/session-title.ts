const MAX_TITLE_LENGTH = 60

/**
 * A session's title from its first prompt: white space folded, cut to 60 characters at a word
 * boundary, with an ellipsis when something was cut.
 *
 * @example
 * ```ts
 * titleFromPrompt('Plan a user interview\nabout onboarding') // 'Plan a user interview about onboarding'
 * ```
 */
export function titleFromPrompt(prompt: string): string {
  const folded = prompt.replace(/\s+/g, ' ').trim()
  const characters = Array.from(folded)
  if (characters.length <= MAX_TITLE_LENGTH) return folded
  const head = characters.slice(0, MAX_TITLE_LENGTH - 1).join('')
  const boundary = head.lastIndexOf(' ')
  // A single word longer than the title is cut where it must be.
  const cut = boundary > 0 ? head.slice(0, boundary) : head
  return `${cut.trimEnd()}…`
}
