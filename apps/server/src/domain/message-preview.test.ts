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
