import { describe, expect, it } from 'vitest'
import { checkSeedColumns } from './schema-columns.ts'

const schema = [
  { name: 'id', required: true },
  { name: 'name', required: true },
  { name: 'run_id', required: false },
]

describe('checkSeedColumns', () => {
  it('accepts a seed that writes every required column, and optional ones or not', () => {
    expect(() => checkSeedColumns('sessions', ['id', 'name'], schema)).not.toThrow()
    expect(() => checkSeedColumns('sessions', ['id', 'name', 'run_id'], schema)).not.toThrow()
  })

  it('names the columns the table no longer has', () => {
    expect(() => checkSeedColumns('sessions', ['id', 'name', 'title'], schema)).toThrow(
      /table 'sessions'.*; gone: title\./,
    )
  })

  it('names the required columns the seed leaves out', () => {
    expect(() => checkSeedColumns('sessions', ['id'], schema)).toThrow(/; new and required: name\./)
  })

  it('says when the table is missing', () => {
    expect(() => checkSeedColumns('messages', ['id'], [])).toThrow(/no table 'messages'/)
  })
})
