import { describe, expect, it } from 'vitest'
import { messagePreview, PREVIEW_CHARACTERS } from './message-preview.ts'

describe('messagePreview', () => {
  it('makes white space runs one space and trims', () => {
    expect(messagePreview('  Hello,\n\n\t world  ')).toBe('Hello, world')
  })

  it('keeps 160 code points, not cutting an emoji in half', () => {
    expect(messagePreview('a'.repeat(PREVIEW_CHARACTERS))).toHaveLength(PREVIEW_CHARACTERS)
    expect(messagePreview('a'.repeat(PREVIEW_CHARACTERS + 1))).toBe('a'.repeat(PREVIEW_CHARACTERS))
    const emoji = messagePreview('😀'.repeat(PREVIEW_CHARACTERS + 5))
    expect(Array.from(emoji)).toHaveLength(PREVIEW_CHARACTERS)
    expect(emoji).toBe('😀'.repeat(PREVIEW_CHARACTERS))
  })
})

/** The preview as first written: what the fast paths must answer, byte for byte. */
function reference(text: string): string {
  const points = Array.from(text.replace(/\s+/g, ' ').trim())
  return points.slice(0, PREVIEW_CHARACTERS).join('')
}

describe('messagePreview fast paths', () => {
  it('answers what the plain replace, trim and cut answer', () => {
    const pieces = ['a', ' ', '  ', '\n', '\t', '\u00a0', '😀', '\ud800', 'é', 'word ', ' x']
    let seed = 7
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let run = 0; run < 2_000; run++) {
      let text = ''
      const length = Math.floor(random() * 200)
      while (text.length < length) text += pieces[Math.floor(random() * pieces.length)]
      expect(messagePreview(text), JSON.stringify(text)).toBe(reference(text))
    }
    expect(messagePreview('Plan a user interview')).toBe('Plan a user interview')
  })
})
