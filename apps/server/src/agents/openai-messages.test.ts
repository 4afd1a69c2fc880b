import { describe, expect, it } from 'vitest'
import type { StoredFile } from '../domain/session-store.ts'
import { toChatMessage } from './openai-messages.ts'

const image = (name: string, size: number): StoredFile => ({
  id: name,
  name,
  contentType: 'image/png',
  size,
  sha256: '0'.repeat(64),
})

describe('the image bytes of a request', () => {
  it('sends images while they fit in the budget, exactly up to it, and names the rest', async () => {
    const budget = { left: 10 }
    const message = await toChatMessage(
      {
        id: 'm',
        role: 'user',
        text: 'look',
        files: [image('a.png', 6), image('b.png', 4), image('c.png', 1)],
      },
      {
        instructions: '',
        vision: true,
        inlineFileBytes: 0,
        imageBudget: budget,
        loadFile: async (file) => new Uint8Array(file.size),
      },
      true,
    )
    const parts = message.content as Array<{ type: string; text?: string }>
    expect(parts.filter((part) => part.type === 'image_url')).toHaveLength(2)
    expect(parts.at(-1)?.text).toMatch(
      /"c\.png".*not included: the images of this request reached their size limit/,
    )
    expect(budget.left).toBe(0)
  })
})
