import type { operations, UpdateSessionFromTextRequest } from '@uxmate/contract'
import { openapiDocument } from '@uxmate/contract/document'
import { Hono } from 'hono'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  chunked,
  createTestApp,
  streamRequest,
  testLimits,
} from '../../../../test/support/validation-app.ts'
import type { UploadedFile } from '../body/uploaded-file.ts'
import { createOpenApiValidator } from './openapi-validator.ts'

const app = createTestApp()
const SESSION = '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'

async function answer(response: Response | Promise<Response>) {
  const r = await response
  return { status: r.status, body: await r.json() }
}

function putJson(body: string, headers: Record<string, string> = {}, id = SESSION) {
  return app.request(`/sessions/${id}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

describe('query parameters', () => {
  it('reports a missing required parameter like FastAPI', async () => {
    expect(await answer(app.request('/sessions'))).toEqual({
      status: 422,
      body: {
        detail: [
          { type: 'missing', loc: ['query', 'agent_id'], msg: 'Field required', input: null },
        ],
      },
    })
  })

  it('applies schema defaults and converts integers', async () => {
    expect(await answer(app.request('/sessions?agent_id=echo'))).toEqual({
      status: 200,
      body: { query: { agent_id: 'echo', limit: 50, archived: false, include_messages: true } },
    })
    expect(await answer(app.request('/sessions?agent_id=echo&limit=7&cursor=abc'))).toEqual({
      status: 200,
      body: {
        query: {
          agent_id: 'echo',
          limit: 7,
          cursor: 'abc',
          archived: false,
          include_messages: true,
        },
      },
    })
    expect(await answer(app.request('/sessions/grouped'))).toEqual({
      status: 200,
      body: { query: { tz: 'UTC', limit: 100, archived: false, pinned_group: false } },
    })
  })

  it('ignores unknown query parameters', async () => {
    expect(await answer(app.request('/sessions?agent_id=echo&debug=1'))).toEqual({
      status: 200,
      body: { query: { agent_id: 'echo', limit: 50, archived: false, include_messages: true } },
    })
  })

  it('takes the last of repeated values for a scalar, as Starlette does', async () => {
    const { body } = await answer(app.request('/sessions?agent_id=a&agent_id=b&limit=1&limit=2'))
    expect(body).toEqual({
      query: { agent_id: 'b', limit: 2, archived: false, include_messages: true },
    })
  })

  it('reports a value that is not an integer as int_parsing', async () => {
    expect(await answer(app.request('/sessions?agent_id=echo&limit=abc'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'int_parsing',
            loc: ['query', 'limit'],
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            input: 'abc',
          },
        ],
      },
    })
    for (const limit of ['1.5', '1e3', ' 5', '', '0x10']) {
      const { status, body } = await answer(
        app.request(`/sessions?agent_id=echo&limit=${encodeURIComponent(limit)}`),
      )
      expect(status).toBe(422)
      expect(body.detail[0]).toMatchObject({ type: 'int_parsing', input: limit })
    }
  })

  it('reports bounds with their ctx', async () => {
    expect(await answer(app.request('/sessions?agent_id=echo&limit=0'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'greater_than_equal',
            loc: ['query', 'limit'],
            msg: 'Input should be greater than or equal to 1',
            // FastAPI shows the value as sent: a string.
            input: '0',
            ctx: { ge: 1 },
          },
        ],
      },
    })
    expect(await answer(app.request('/sessions?agent_id=echo&limit=201'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'less_than_equal',
            loc: ['query', 'limit'],
            msg: 'Input should be less than or equal to 200',
            input: '201',
            ctx: { le: 200 },
          },
        ],
      },
    })
  })

  it('reports string lengths with their ctx', async () => {
    const { body } = await answer(app.request(`/sessions?agent_id=${'a'.repeat(129)}&cursor=`))
    expect(body.detail).toEqual([
      {
        type: 'string_too_long',
        loc: ['query', 'agent_id'],
        msg: 'String should have at most 128 characters',
        input: 'a'.repeat(129),
        ctx: { max_length: 128 },
      },
      {
        type: 'string_too_short',
        loc: ['query', 'cursor'],
        msg: 'String should have at least 1 character',
        input: '',
        ctx: { min_length: 1 },
      },
    ])
  })

  it('lists every problem, in declaration order', async () => {
    const { body } = await answer(app.request('/sessions?cursor=&limit=abc'))
    expect(body.detail.map((d: { type: string; loc: unknown }) => [d.type, d.loc])).toEqual([
      ['missing', ['query', 'agent_id']],
      ['int_parsing', ['query', 'limit']],
      ['string_too_short', ['query', 'cursor']],
    ])
  })

  it('leaves an unknown time zone to the handler', async () => {
    const { status, body } = await answer(app.request('/sessions/grouped?tz=Mars/Olympus'))
    expect(status).toBe(200)
    expect(body.query.tz).toBe('Mars/Olympus')
  })
})

describe('path parameters', () => {
  it('hands the handler an opaque id as it was sent, UUID or not', async () => {
    for (const id of [
      SESSION,
      SESSION.toUpperCase(),
      'not-a-uuid',
      'chat_x7.Q~1:2',
      'a'.repeat(128),
    ]) {
      const { status, body } = await answer(app.request(`/sessions/${id}`))
      expect(status).toBe(200)
      expect(body).toEqual({ param: { session_id: id } })
    }
  })

  it('refuses an id longer than 128 characters as string_too_long', async () => {
    const id = 'a'.repeat(129)
    expect(await answer(app.request(`/sessions/${id}`))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'string_too_long',
            loc: ['path', 'session_id'],
            msg: 'String should have at most 128 characters',
            input: id,
            ctx: { max_length: 128 },
          },
        ],
      },
    })
  })

  it('refuses characters outside the documented set, and a leading dot', async () => {
    for (const id of ['with space', 'slash/inside', '.hidden', 'é', 'a%b', '{x}']) {
      const { status, body } = await answer(app.request(`/sessions/${encodeURIComponent(id)}`))
      expect(status, id).toBe(422)
      expect(body.detail[0]).toMatchObject({
        type: 'string_pattern_mismatch',
        loc: ['path', 'session_id'],
        input: id,
      })
    }
  })
})

describe('headers', () => {
  it('matches header names case-insensitively', async () => {
    const { body } = await answer(
      putJson('{"text_prompt":"hi"}', { prefer: 'respond-async', 'x-request-id': 'abc-1' }),
    )
    expect(body.header).toEqual({ Prefer: 'respond-async', 'X-Request-Id': 'abc-1' })
  })

  it('validates header values', async () => {
    const { status, body } = await answer(
      putJson('{"text_prompt":"hi"}', { Prefer: 'x'.repeat(257) }),
    )
    expect(status).toBe(422)
    expect(body.detail).toEqual([
      {
        type: 'string_too_long',
        loc: ['header', 'Prefer'],
        msg: 'String should have at most 256 characters',
        input: 'x'.repeat(257),
        ctx: { max_length: 256 },
      },
    ])
  })
})

describe('JSON bodies', () => {
  it('passes a valid body, keeping properties the schema does not name', async () => {
    expect(await answer(putJson('{"text_prompt":"Now make it shorter.","extra":[1]}'))).toEqual({
      status: 200,
      body: {
        param: { session_id: SESSION },
        json: { text_prompt: 'Now make it shorter.', extra: [1] },
        header: {},
      },
    })
  })

  it('takes only the media type openapi.yaml declares, parameters allowed', async () => {
    const charset = await putJson('{"text_prompt":"a"}', {
      'Content-Type': 'Application/JSON; charset=utf-8',
    })
    expect(charset.status).toBe(200)
    const merge = await putJson('{"text_prompt":"a"}', {
      'Content-Type': 'application/merge-patch+json',
    })
    expect(merge.status).toBe(415)
    const bare = await app.request(`/sessions/${SESSION}`, {
      method: 'PUT',
      body: new TextEncoder().encode('{"text_prompt":"a"}'),
    })
    expect(bare.status).toBe(415)
  })

  it('reports a blank prompt against the \\S pattern', async () => {
    expect(await answer(putJson('{"text_prompt":"   "}'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'string_pattern_mismatch',
            loc: ['body', 'text_prompt'],
            msg: "String should match pattern '\\S'",
            input: '   ',
            ctx: { pattern: '\\S' },
          },
        ],
      },
    })
  })

  it('reports only the first failed check of a value, as pydantic does', async () => {
    const { body } = await answer(putJson('{"text_prompt":""}'))
    expect(body.detail).toEqual([
      {
        type: 'string_too_short',
        loc: ['body', 'text_prompt'],
        msg: 'String should have at least 1 character',
        input: '',
        ctx: { min_length: 1 },
      },
    ])
  })

  it('reports a too long prompt', async () => {
    const long = 'a'.repeat(100_001)
    const { body } = await answer(putJson(JSON.stringify({ text_prompt: long })))
    expect(body.detail).toEqual([
      {
        type: 'string_too_long',
        loc: ['body', 'text_prompt'],
        msg: 'String should have at most 100000 characters',
        input: long,
        ctx: { max_length: 100000 },
      },
    ])
  })

  it('reports a wrong type and a missing field', async () => {
    expect((await answer(putJson('{"text_prompt":12}'))).body.detail).toEqual([
      {
        type: 'string_type',
        loc: ['body', 'text_prompt'],
        msg: 'Input should be a valid string',
        input: 12,
      },
    ])
    // A JSON body is one pydantic model: a missing field shows the object it is missing from.
    expect((await answer(putJson('{"prompt":"hi"}'))).body.detail).toEqual([
      {
        type: 'missing',
        loc: ['body', 'text_prompt'],
        msg: 'Field required',
        input: { prompt: 'hi' },
      },
    ])
  })

  it('reports a body that is not an object as model_attributes_type', async () => {
    expect(await answer(putJson('[]'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'model_attributes_type',
            loc: ['body'],
            msg: 'Input should be a valid dictionary or object to extract fields from',
            input: [],
          },
        ],
      },
    })
    expect((await answer(putJson('"hi"'))).body.detail[0]).toMatchObject({
      type: 'model_attributes_type',
      input: 'hi',
    })
  })

  it('reports a missing body at loc ["body"]', async () => {
    const missing = {
      status: 422,
      body: { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] },
    }
    expect(await answer(putJson(''))).toEqual(missing)
    expect(await answer(putJson('null'))).toEqual(missing)
    expect(await answer(app.request(`/sessions/${SESSION}`, { method: 'PUT' }))).toEqual(missing)
  })

  it('reports malformed JSON as json_invalid with Python’s position and message', async () => {
    expect(await answer(putJson('{"text_prompt": }'))).toEqual({
      status: 422,
      body: {
        detail: [
          {
            type: 'json_invalid',
            loc: ['body', 16],
            msg: 'JSON decode error',
            input: {},
            ctx: { error: 'Expecting value' },
          },
        ],
      },
    })
    const { body } = await answer(putJson('{"text_prompt": "hi",}'))
    expect(body.detail[0]).toMatchObject({
      loc: ['body', 21],
      ctx: { error: 'Expecting property name enclosed in double quotes' },
    })
  })

  it('reports bytes that are not UTF-8 as json_invalid', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"text_prompt":"'),
      0xff,
      0x22,
      0x7d,
    ])
    const { status, body } = await answer(
      app.request(`/sessions/${SESSION}`, {
        method: 'PUT',
        body: bytes,
        headers: { 'Content-Type': 'application/json' },
      }),
    )
    expect(status).toBe(422)
    expect(body.detail).toEqual([
      {
        type: 'json_invalid',
        loc: ['body', 16],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: "'utf-8' codec can't decode byte 0xff in position 16: invalid start byte" },
      },
    ])
  })

  it('accepts a UTF-8 byte order mark, as Python does for bytes', async () => {
    const bytes = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode('{"text_prompt":"é"}'),
    ])
    const { status, body } = await answer(
      app.request(`/sessions/${SESSION}`, {
        method: 'PUT',
        body: bytes,
        headers: { 'Content-Type': 'application/json' },
      }),
    )
    expect(status).toBe(200)
    expect(body.json).toEqual({ text_prompt: 'é' })
  })

  it('lists path problems before body problems', async () => {
    const { body } = await answer(putJson('{"text_prompt":"  "}', {}, '.abc'))
    expect(body.detail.map((d: { loc: unknown }) => d.loc)).toEqual([
      ['path', 'session_id'],
      ['body', 'text_prompt'],
    ])
  })

  it('answers 415 for a Content-Type that is not JSON', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      expect(await answer(putJson('{"text_prompt":"hi"}', { 'Content-Type': type }))).toEqual({
        status: 415,
        body: { detail: 'Content-Type must be application/json' },
      })
    }
  })

  it('answers 413 past maxJsonBytes, by Content-Length or as counted', async () => {
    const big = JSON.stringify({ text_prompt: 'a'.repeat(testLimits.maxJsonBytes) })
    const tooLarge = {
      status: 413,
      body: { detail: `Request body is larger than the limit of ${testLimits.maxJsonBytes} bytes` },
    }
    expect(await answer(putJson(big))).toEqual(tooLarge)
    // A stream without Content-Length, then one whose Content-Length lies.
    const bytes = new TextEncoder().encode(big)
    const headers = { 'Content-Type': 'application/json' }
    const path = `/sessions/${SESSION}`
    expect(
      await answer(app.request(streamRequest(path, 'PUT', chunked(bytes, 4096), headers))),
    ).toEqual(tooLarge)
    const lying = { ...headers, 'Content-Length': '20' }
    expect(
      await answer(app.request(streamRequest(path, 'PUT', chunked(bytes, 4096), lying))),
    ).toEqual(tooLarge)
  })

  it('stops reading an endless JSON body at the limit', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        controller.enqueue(new Uint8Array(1024).fill(0x20))
      },
    })
    const request = streamRequest(`/sessions/${SESSION}`, 'PUT', endless, {
      'Content-Type': 'application/json',
    })
    expect((await app.request(request)).status).toBe(413)
    expect(pulled).toBeLessThan(testLimits.maxJsonBytes / 1024 + 5)
  })
})

describe('createOpenApiValidator', () => {
  it('refuses an operationId the document does not have', () => {
    const validator = createOpenApiValidator(openapiDocument, testLimits)
    expect(() => validator.for('nope' as 'get_session')).toThrow(/no operation 'nope'/)
  })

  it('compiles every operation of the document', () => {
    const validator = createOpenApiValidator(openapiDocument, testLimits)
    const ids = Object.values(openapiDocument.paths).flatMap((item) =>
      Object.values(item).flatMap((op) =>
        typeof op === 'object' && op !== null && 'operationId' in op
          ? [String(op.operationId)]
          : [],
      ),
    )
    expect(ids.length).toBeGreaterThan(5)
    for (const id of ids) expect(validator.operations.get(id)?.operationId).toBe(id)
  })

  it('types c.req.valid() from the contract', () => {
    const validator = createOpenApiValidator(openapiDocument, testLimits)
    new Hono()
      .put('/sessions/:session_id', validator.for('update_session'), (c) => {
        expectTypeOf(c.req.valid('json')).toEqualTypeOf<UpdateSessionFromTextRequest>()
        expectTypeOf(c.req.valid('param')).toEqualTypeOf<
          operations['update_session']['parameters']['path']
        >()
        expectTypeOf(c.req.valid('header')).toEqualTypeOf<
          NonNullable<operations['update_session']['parameters']['header']>
        >()
        return c.body(null, 204)
      })
      .get('/sessions', validator.for('get_sessions'), (c) => {
        expectTypeOf(c.req.valid('query')).toEqualTypeOf<
          operations['get_sessions']['parameters']['query']
        >()
        // @ts-expect-error: get_sessions takes no body
        c.req.valid('json')
        return c.body(null, 204)
      })
      .post('/sessions/text', validator.for('create_session_from_text'), (c) => {
        const form = c.req.valid('form')
        expectTypeOf(form.files).toEqualTypeOf<UploadedFile[]>()
        expectTypeOf(form.agent_id).toEqualTypeOf<string>()
        expectTypeOf(form.text_prompt).toEqualTypeOf<string>()
        return c.body(null, 204)
      })
  })
})
