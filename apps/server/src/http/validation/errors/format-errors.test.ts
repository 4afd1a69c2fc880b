import { describe, expect, it } from 'vitest'
import { canonicalUuid, dateError, dateTimeError, timeError, uuidError } from './format-errors.ts'

describe('uuidError', () => {
  // Ground truth: pydantic 2.13's ctx.error for the same inputs.
  it.each([
    ['abc', 'invalid length: expected length 32 for simple format, found 3'],
    ['', 'invalid length: expected length 32 for simple format, found 0'],
    [
      '0f8a4f0e6a8e4c479a431f6a9e1c2b3',
      'invalid length: expected length 32 for simple format, found 31',
    ],
    ['not-a-uuid', 'invalid character: found `n` at 1'],
    ['abcdefgh', 'invalid character: found `g` at 7'],
    ['é', 'invalid character: found `é` at 1'],
    ['aé-x', 'invalid character: found `é` at 2'],
    ['{abc', 'invalid character: found `{` at 1'],
    ['abc}', 'invalid character: found `}` at 4'],
    ['{x0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d}', 'invalid character: found `x` at 2'],
    ['{0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3dx}', 'invalid character: found `x` at 38'],
    ['urn:uuid:x0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d', 'invalid character: found `x` at 10'],
    ['urn:uuid:0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3g', 'invalid character: found `g` at 36'],
    [
      '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3',
      'invalid group length in group 4: expected 12, found 11',
    ],
    [
      '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3dd',
      'invalid group length in group 4: expected 12, found 13',
    ],
    [
      '{0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3}',
      'invalid group length in group 4: expected 12, found 13',
    ],
    [
      'urn:uuid:0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3',
      'invalid group length in group 4: expected 12, found 20',
    ],
    [
      '0f8a4f0-e6a8e-4c47-9a43-1f6a9e1c2b3d',
      'invalid group length in group 0: expected 8, found 7',
    ],
    ['0f8a4f0e-6a8e4c47-9a43-1f6a9e1c2b3d', 'invalid group count: expected 5, found 4'],
    ['0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d-', 'invalid group count: expected 5, found 6'],
    ['ab-cd', 'invalid group count: expected 5, found 2'],
    ['urn:uuid:', 'invalid group count: expected 5, found 1'],
    ['{}', 'invalid group count: expected 5, found 1'],
  ])('%j', (text, error) => {
    expect(canonicalUuid(text)).toBeUndefined()
    expect(uuidError(text)).toBe(error)
  })

  it('canonicalises the hyphenated form only, as format: uuid says', () => {
    const id = '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'
    expect(canonicalUuid(id)).toBe(id)
    expect(canonicalUuid(id.toUpperCase())).toBe(id)
    for (const spelling of [id.replace(/-/g, ''), `{${id}}`, `urn:uuid:${id}`]) {
      expect(canonicalUuid(spelling)).toBeUndefined()
    }
  })
})

describe('date and time errors', () => {
  // Ground truth: pydantic 2.13 (datetime and date fall back on each other).
  it.each([
    ['yesterday', 'input is too short'],
    ['2026-13-01T00:00:00Z', 'month value is outside expected range of 1-12'],
    ['2026-01-01X00:00:00Z', 'unexpected extra characters at the end of the input'],
    ['2026-01-01T25:00:00Z', 'unexpected extra characters at the end of the input'],
    ['2026/01/01', 'invalid date separator, expected `-`'],
    ['20a6-01-01', 'invalid character in year'],
    ['2026-02-30T00:00:00Z', 'day value is outside expected range'],
    ['2026-01-0x', 'invalid character in day'],
  ])('date-time %j', (text, error) => {
    expect(dateTimeError(text)).toBe(error)
  })

  it('says plainly what JSON Schema needs beyond what pydantic needs', () => {
    expect(dateTimeError('2026-01-01')).toBe('a time and a time zone offset are required')
    expect(dateTimeError('2026-01-01T10:00:00')).toBe('a time zone offset is required')
  })

  it.each([
    ['2026-1-01', 'input is too short'],
    ['2026-02-30', 'day value is outside expected range'],
  ])('date %j', (text, error) => {
    expect(dateError(text)).toBe(error)
  })

  it.each([
    ['25:00', 'hour value is outside expected range of 0-23'],
    ['10:61', 'minute value is outside expected range of 0-59'],
    ['x', 'input is too short'],
  ])('time %j', (text, error) => {
    expect(timeError(text)).toBe(error)
  })
})
