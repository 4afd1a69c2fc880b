import { openapiDocument } from '@uxmate/contract/document'
import { describe, expect, it } from 'vitest'
import { coerceScalar, coerceValues } from './coerce.ts'

const loc = ['query', 'x']
const convert = (schema: unknown, text: string) => coerceScalar(openapiDocument, schema, text, loc)

describe('coerceScalar', () => {
  it('converts integers only from plain decimal digits', () => {
    expect(convert({ type: 'integer' }, '42')).toEqual({ value: 42, issues: [] })
    expect(convert({ type: 'integer' }, '-7')).toEqual({ value: -7, issues: [] })
    for (const text of ['abc', '1.5', '1e3', '+1', ' 1', '0x10', '']) {
      expect(convert({ type: 'integer' }, text)).toEqual({
        value: text,
        issues: [
          {
            type: 'int_parsing',
            loc,
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            input: text,
          },
        ],
      })
    }
  })

  it('converts numbers from decimal notation', () => {
    expect(convert({ type: 'number' }, '1.5')).toMatchObject({ value: 1.5, issues: [] })
    expect(convert({ type: 'number' }, '1e3')).toMatchObject({ value: 1000, issues: [] })
    expect(convert({ type: 'number' }, 'NaN').issues[0]?.type).toBe('float_parsing')
  })

  it('converts booleans from pydantic’s words', () => {
    for (const text of ['true', 'True', '1', 'yes', 'on', 't', 'y']) {
      expect(convert({ type: 'boolean' }, text).value).toBe(true)
    }
    for (const text of ['false', 'FALSE', '0', 'no', 'off', 'f', 'n']) {
      expect(convert({ type: 'boolean' }, text).value).toBe(false)
    }
    expect(convert({ type: 'boolean' }, 'maybe').issues[0]).toEqual({
      type: 'bool_parsing',
      loc,
      msg: 'Input should be a valid boolean, unable to interpret input',
      input: 'maybe',
    })
  })

  it('keeps strings, follows $ref and prefers a string member of a union', () => {
    expect(convert({ $ref: '#/components/schemas/AgentId' }, '42').value).toBe('42')
    expect(convert({ type: ['integer', 'string'] }, '42').value).toBe('42')
    expect(convert({ anyOf: [{ type: 'integer' }, { type: 'null' }] }, '42').value).toBe(42)
    expect(convert({}, '42').value).toBe('42')
  })

  it('canonicalises UUIDs and leaves others for the format check', () => {
    const schema = { type: 'string', format: 'uuid' }
    expect(convert(schema, '0F8A4F0E-6A8E-4C47-9A43-1F6A9E1C2B3D').value).toBe(
      '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
    )
    expect(convert(schema, '0F8A4F0E6A8E4C479A431F6A9E1C2B3D').value).toBe(
      '0F8A4F0E6A8E4C479A431F6A9E1C2B3D',
    )
    expect(convert(schema, 'abc')).toEqual({ value: 'abc', issues: [] })
  })
})

describe('coerceValues', () => {
  it('converts every value of an array, locating problems by index', () => {
    const schema = { type: 'array', items: { type: 'integer' } }
    expect(coerceValues(openapiDocument, schema, ['1', 'x', '3'], loc)).toEqual({
      value: [1, 'x', 3],
      issues: [
        expect.objectContaining({ type: 'int_parsing', loc: ['query', 'x', 1], input: 'x' }),
      ],
    })
  })

  it('picks the first or the last value of a scalar', () => {
    const schema = { type: 'integer' }
    expect(coerceValues(openapiDocument, schema, ['1', '2'], loc, 'first').value).toBe(1)
    expect(coerceValues(openapiDocument, schema, ['1', '2'], loc, 'last')).toEqual({
      value: 2,
      sent: '2',
      issues: [],
    })
  })
})
