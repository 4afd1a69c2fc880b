/**
 * pydantic's error vocabulary beyond what openapi.yaml uses today, on a small document of its
 * own: enums, consts, arrays, nested objects, booleans, numbers, date-times, extra fields.
 * Expected bodies are what FastAPI (pydantic 2.13) answers for the equivalent models.
 */
import type { OperationId } from '@uxmate/contract'
import type { OpenApiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { testLimits } from '../../../../test/support/validation-app.ts'
import { createOpenApiValidator } from './openapi-validator.ts'

const document: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Error mapping', version: '1' },
  paths: {
    '/items/{item_id}': {
      parameters: [
        { name: 'item_id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
      ],
      post: {
        operationId: 'create_item',
        parameters: [
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'integer' } } },
          { name: 'flag', in: 'query', schema: { type: 'boolean', default: false } },
          { name: 'ratio', in: 'query', schema: { type: 'number', exclusiveMinimum: 0 } },
          { name: 'kind', in: 'query', schema: { $ref: '#/components/schemas/Kind' } },
          {
            name: 'X-Ids',
            in: 'header',
            schema: { type: 'array', items: { type: 'string', format: 'uuid' } },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
        },
        responses: { '200': { description: 'The item.' } },
      },
    },
  },
  components: {
    schemas: {
      Kind: { type: 'string', enum: ['a', 'b', 'c'] },
      Item: {
        type: 'object',
        required: ['name', 'parts'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          when: { type: 'string', format: 'date-time' },
          count: { type: 'integer', multipleOf: 5, default: 10 },
          parts: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Part' } },
          meta: { type: 'object', additionalProperties: { type: 'string' } },
          mode: { const: 'x' },
          done: { type: 'boolean' },
          note: { type: ['string', 'null'] },
        },
      },
      Part: { type: 'object', required: ['b'], properties: { b: { type: 'integer' } } },
    },
  },
}

const validator = createOpenApiValidator(document, testLimits)
const app = new Hono().post(
  '/items/:item_id',
  // A document of its own: its operationIds are not the contract's.
  validator.for('create_item' as OperationId),
  (c) => {
    const valid = c.req.valid.bind(c.req) as (target: string) => unknown
    return c.json({ param: valid('param'), query: valid('query'), json: valid('json') })
  },
)

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await app.request(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  })
  return { status: response.status, body: await response.json() }
}

describe('pydantic error mapping', () => {
  it('converts and defaults every location', async () => {
    const { status, body } = await post('/items/3?tags=1&tags=2&ratio=0.5&kind=b', {
      name: 'n',
      parts: [{ b: 1 }],
      note: null,
    })
    expect(status).toBe(200)
    expect(body).toEqual({
      param: { item_id: 3 },
      query: { tags: [1, 2], flag: false, ratio: 0.5, kind: 'b' },
      json: { name: 'n', parts: [{ b: 1 }], note: null, count: 10 },
    })
  })

  it('reports every problem in FastAPI’s order and words', async () => {
    const { status, body } = await post(
      '/items/0?tags=1&tags=x&flag=maybe&ratio=0&kind=d',
      {
        name: 5,
        when: 'yesterday',
        count: 7,
        parts: [{ b: 'x' }, {}],
        meta: { k: 1 },
        mode: 'y',
        done: 3,
        note: 1,
        extra: 1,
      },
      { 'X-Ids': `abc, ${'0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'}` },
    )
    expect(status).toBe(422)
    expect(body.detail).toEqual([
      {
        type: 'greater_than_equal',
        loc: ['path', 'item_id'],
        msg: 'Input should be greater than or equal to 1',
        input: '0',
        ctx: { ge: 1 },
      },
      {
        type: 'int_parsing',
        loc: ['query', 'tags', 1],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: 'x',
      },
      {
        type: 'bool_parsing',
        loc: ['query', 'flag'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        input: 'maybe',
      },
      {
        type: 'greater_than',
        loc: ['query', 'ratio'],
        msg: 'Input should be greater than 0',
        input: '0',
        ctx: { gt: 0 },
      },
      {
        type: 'enum',
        loc: ['query', 'kind'],
        msg: "Input should be 'a', 'b' or 'c'",
        input: 'd',
        ctx: { expected: "'a', 'b' or 'c'" },
      },
      {
        type: 'uuid_parsing',
        loc: ['header', 'X-Ids', 0],
        msg: 'Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3',
        input: 'abc',
        ctx: { error: 'invalid length: expected length 32 for simple format, found 3' },
      },
      {
        type: 'string_type',
        loc: ['body', 'name'],
        msg: 'Input should be a valid string',
        input: 5,
      },
      {
        type: 'datetime_from_date_parsing',
        loc: ['body', 'when'],
        msg: 'Input should be a valid datetime or date, input is too short',
        input: 'yesterday',
        ctx: { error: 'input is too short' },
      },
      {
        type: 'multiple_of',
        loc: ['body', 'count'],
        msg: 'Input should be a multiple of 5',
        input: 7,
        ctx: { multiple_of: 5 },
      },
      {
        type: 'int_parsing',
        loc: ['body', 'parts', 0, 'b'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: 'x',
      },
      { type: 'missing', loc: ['body', 'parts', 1, 'b'], msg: 'Field required', input: {} },
      {
        type: 'string_type',
        loc: ['body', 'meta', 'k'],
        msg: 'Input should be a valid string',
        input: 1,
      },
      {
        type: 'literal_error',
        loc: ['body', 'mode'],
        msg: "Input should be 'x'",
        input: 'y',
        ctx: { expected: "'x'" },
      },
      {
        type: 'bool_parsing',
        loc: ['body', 'done'],
        msg: 'Input should be a valid boolean, unable to interpret input',
        input: 3,
      },
      {
        type: 'string_type',
        loc: ['body', 'note'],
        msg: 'Input should be a valid string',
        input: 1,
      },
      {
        type: 'extra_forbidden',
        loc: ['body', 'extra'],
        msg: 'Extra inputs are not permitted',
        input: 1,
      },
    ])
  })

  it('reports lists and dictionaries of the wrong shape', async () => {
    const { body } = await post('/items/1', { name: 'n', parts: [], meta: [] })
    expect(body.detail).toEqual([
      {
        type: 'too_short',
        loc: ['body', 'parts'],
        msg: 'List should have at least 1 item after validation, not 0',
        input: [],
        ctx: { field_type: 'List', min_length: 1, actual_length: 0 },
      },
      {
        type: 'dict_type',
        loc: ['body', 'meta'],
        msg: 'Input should be a valid dictionary',
        input: [],
      },
    ])
    const notList = await post('/items/1', { name: 'n', parts: 'p' })
    expect(notList.body.detail).toEqual([
      {
        type: 'list_type',
        loc: ['body', 'parts'],
        msg: 'Input should be a valid list',
        input: 'p',
      },
    ])
  })

  it('reports a nested object of the wrong type as pydantic does with from_attributes', async () => {
    const { body } = await post('/items/1', { name: 'n', parts: [7] })
    expect(body.detail).toEqual([
      {
        type: 'model_attributes_type',
        loc: ['body', 'parts', 0],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: 7,
      },
    ])
  })
})
