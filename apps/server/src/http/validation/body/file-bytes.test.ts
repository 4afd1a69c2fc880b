import { describe, expect, it } from 'vitest'
import { joinPieces } from '../../../domain/file-chunks.ts'
import { FileBytes } from './file-bytes.ts'

const bytesOf = (text: string) => new TextEncoder().encode(text)
const textOf = (pieces: Uint8Array[]) => new TextDecoder().decode(joinPieces(pieces))

describe('FileBytes', () => {
  it('keeps the pieces as they arrived, without copying them', () => {
    const file = new FileBytes(100)
    const pieces = [bytesOf('ab'), bytesOf('cde'), bytesOf('f')]
    for (const piece of pieces) file.append(piece)
    expect(file.size).toBe(6)
    expect(textOf(file.take())).toBe('abcdef')
    file.take().forEach((piece, i) => {
      expect(piece.buffer).toBe(pieces[i]?.buffer)
    })
  })

  it('never holds more than maxBytes', () => {
    const file = new FileBytes(8)
    file.append(bytesOf('abcdef'))
    file.append(bytesOf('ghij'))
    file.append(bytesOf('klm'))
    expect(textOf(file.take())).toBe('abcdefgh')
    expect(file.size).toBe(8)
  })

  it('takes an empty file', () => {
    const file = new FileBytes(8)
    expect(file.take()).toEqual([])
    file.append(new Uint8Array(0))
    expect(file.take()).toEqual([])
  })
})
