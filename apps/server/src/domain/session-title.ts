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

/**
 * A title a model wrote, made fit for a session: its reasoning (`<think>…</think>`) dropped, its
 * first line only, without the quotes, markup or "Title:" models like to add, cut like a
 * prompt's. `undefined` when nothing is left.
 *
 * @example
 * ```ts
 * titleFromModel('"Onboarding interview plan."') // 'Onboarding interview plan'
 * ```
 */
export function titleFromModel(text: string): string | undefined {
  const line = text
    .replace(/<think>[\s\S]*?<\/think>/gi, '')
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate !== '')
  if (line === undefined) return undefined
  let bare = line.replace(/^#+\s*/, '').replace(/^(\*\*)?title(\*\*)?\s*:\s*/i, '')
  // Quotes and a final period wrap each other either way round: peel until nothing changes.
  for (let previous = ''; previous !== bare; ) {
    previous = bare
    bare = bare
      .replace(/^["'“”‘’*_`]+|["'“”‘’*_`]+$/g, '')
      .replace(/[.。]+$/, '')
      .trim()
  }
  return bare === '' ? undefined : titleFromPrompt(bare)
}
