import { describe, expect, it } from 'vitest'
import { countTokens, messageTokens, storedTextTokens } from './token-count.ts'

describe('storedTextTokens', () => {
  it('counts as messageTokens does a message of text alone, and again for a new text', () => {
    const text = 'Three participants found the first screen too busy; two wanted to skip it.'
    const tokens = messageTokens({ role: 'user', content: text })
    expect(storedTextTokens('kept-1', text)).toBe(tokens)
    expect(storedTextTokens('kept-1', text)).toBe(tokens)
    // The same id with another text (an id used again) is counted, not looked up.
    expect(storedTextTokens('kept-1', 'Hi')).toBe(4 + countTokens('Hi'))
    expect(4 + countTokens('Hi')).not.toBe(tokens)
    expect(storedTextTokens('kept-2', '')).toBe(4)
  })
})
