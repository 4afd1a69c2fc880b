import { describe, expect, it } from 'vitest'
import { fileRows, joinPieces } from './file-chunks.ts'

const counting = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) % 251)

describe('fileRows', () => {
  it('gives each piece at its position, cutting those over the row size, in order', () => {
    const pieces = [counting(3), counting(9, 3), counting(2, 12)]
    const rows = [...fileRows(pieces, 4)]
    expect(rows.map((row) => [row.start, row.data.byteLength])).toEqual([
      [0, 3],
      [3, 4],
      [7, 4],
      [11, 1],
      [12, 2],
    ])
    expect([...joinPieces(rows.map((row) => row.data))]).toEqual([...counting(14)])
  })

  it('gives views of the pieces, never copies', () => {
    const piece = counting(10)
    for (const row of fileRows([piece], 4)) expect(row.data.buffer).toBe(piece.buffer)
  })

  it('gives nothing for no bytes', () => {
    expect([...fileRows([])]).toEqual([])
    expect([...fileRows([new Uint8Array(0)])]).toEqual([])
  })
})

describe('joinPieces', () => {
  it('joins in order; one piece is given back as it is', () => {
    const one = counting(3)
    expect(joinPieces([one])).toBe(one)
    expect([...joinPieces([counting(2), counting(3, 2)])]).toEqual([...counting(5)])
    expect(joinPieces([]).byteLength).toBe(0)
  })
})
