import { describe, expect, it } from 'vitest'
import { MAX_IMPORT_MESSAGES, MAX_IMPORT_TEXT_LENGTH, readImportLine } from './session-import.ts'

const base = { id: 's1', agent_id: 'echo', created_at: '2024-05-01T10:00:00Z' }
const read = (value: unknown) => readImportLine(JSON.stringify(value), 16)

describe('readImportLine', () => {
  it('takes a session of at most the limit of messages and characters, and says past it', () => {
    const messages = (count: number) =>
      Array.from({ length: count }, () => ({ role: 'user', text: 'x' }))
    expect(read({ ...base, messages: messages(MAX_IMPORT_MESSAGES) })).toHaveProperty('session')
    expect(read({ ...base, messages: messages(MAX_IMPORT_MESSAGES + 1) })).toEqual({
      id: 's1',
      problem: `messages: an array of at most ${MAX_IMPORT_MESSAGES}`,
    })
    const text = (length: number) => ({
      ...base,
      messages: [{ role: 'user', text: 'a'.repeat(length) }],
    })
    expect(read(text(MAX_IMPORT_TEXT_LENGTH))).toHaveProperty('session')
    expect(read(text(MAX_IMPORT_TEXT_LENGTH + 1))).toMatchObject({
      problem: `messages[0].text: longer than ${MAX_IMPORT_TEXT_LENGTH} characters`,
    })
  })

  it('checks ids, roles, labels and inline files, and never throws', () => {
    const problem = (value: unknown) =>
      (readImportLine(JSON.stringify(value), 16) as { problem?: string }).problem
    expect(problem({ ...base, id: '.hidden' })).toMatch(/^id: not an id/)
    expect(problem({ ...base, messages: [{ role: 'system', text: 'x' }] })).toBe(
      'messages[0].role: user or assistant',
    )
    expect(problem({ ...base, tags: Array.from({ length: 17 }, (_, i) => `t${i}`) })).toBe(
      'tags: at most 16 strings',
    )
    const withFile = (file: object) => ({
      ...base,
      messages: [{ role: 'user', text: 'x', files: [file] }],
    })
    expect(problem(withFile({ data_base64: Buffer.alloc(16).toString('base64') }))).toBeUndefined()
    expect(problem(withFile({ data_base64: Buffer.alloc(17).toString('base64') }))).toBe(
      'messages[0].files[0]: larger than 16 bytes',
    )
    expect(problem(withFile({ data_base64: 'aGk=', sha256: '0'.repeat(64) }))).toBe(
      'messages[0].files[0].sha256: does not match the data',
    )
    for (const line of [
      '',
      'null',
      '[]',
      '"x"',
      '{"id":1}',
      '{"id":"a","agent_id":"echo","created_at":"yesterday"}',
    ])
      expect(readImportLine(line, 16)).toHaveProperty('problem')
  })
})
