import { describe, expect, it } from 'vitest'
import { toBlob, toFormData } from '../src/multipart.ts'

describe('toBlob', () => {
  it('passes Blobs and Files through', () => {
    const file = new File(['x'], 'x.txt')
    const blob = new Blob(['y'])
    expect(toBlob(file)).toBe(file)
    expect(toBlob(blob)).toBe(blob)
  })

  it('makes a named File from bytes, text or a Blob', async () => {
    const fromBytes = toBlob({ name: 'a.bin', data: new Uint8Array([104, 105]), type: 'x/y' })
    const fromBuffer = toBlob({ name: 'b.bin', data: new Uint8Array([104, 105]).buffer })
    const fromText = toBlob({ name: 'c.txt', data: 'hi', type: 'text/plain' })
    const fromBlob = toBlob({
      name: 'd.json',
      data: new Blob(['hi'], { type: 'application/json' }),
    })
    for (const [blob, name, type] of [
      [fromBytes, 'a.bin', 'x/y'],
      [fromBuffer, 'b.bin', ''],
      [fromText, 'c.txt', 'text/plain'],
      [fromBlob, 'd.json', 'application/json'],
    ] as const) {
      expect(blob).toBeInstanceOf(File)
      expect((blob as File).name).toBe(name)
      expect(blob.type).toBe(type)
      expect(await blob.text()).toBe('hi')
    }
  })
})

describe('toFormData', () => {
  it('appends the fields, then one `files` entry per file', () => {
    const files = [new File(['1'], 'one.txt'), new File(['2'], 'two.txt')]
    const form = toFormData({ agent_id: 'echo', text_prompt: 'Hi', files })
    expect([...form.keys()]).toEqual(['agent_id', 'text_prompt', 'files', 'files'])
    expect(form.getAll('files').map((file) => (file as File).name)).toEqual(['one.txt', 'two.txt'])
  })
})
