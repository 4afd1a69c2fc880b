/**
 * The spec validator itself: it must reject what openapi.yaml forbids, or every other test
 * here proves nothing.
 */
import { describe, expect, it } from 'vitest'
import { exampleHeaders, loadSpec } from '../src/spec.ts'
import { validateResponse } from '../src/spec-validator.ts'

const session = {
  id: '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d',
  agent_id: 'echo',
  name: 'Hello',
  created_at: '2026-11-26T09:12:43.870Z',
  updated_at: '2026-11-26T09:12:44.120Z',
  status: 'Ready',
  routine_id: null,
  messages: [
    {
      id: '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      role: 'user',
      text: 'Hello',
      created_at: '2026-11-26T09:12:43.870Z',
    },
  ],
}
const headers = {
  'X-Request-Id': 'abc',
  ETag: '"vyGp6PvFo4RvsFtPoIWeCReyIC8"',
  'Cache-Control': 'private, no-cache',
}
const json = 'application/json'

describe('validateResponse', () => {
  it('accepts a conforming response', () => {
    expect(validateResponse('get_session', 200, json, session, headers)).toEqual([])
    expect(
      validateResponse(
        'get_session',
        200,
        `${json}; charset=UTF-8`,
        JSON.stringify(session),
        headers,
      ),
    ).toEqual([])
  })

  it.each([
    [
      'a missing required field',
      { ...session, name: undefined },
      /must have required property 'name'/,
    ],
    [
      'an undeclared field',
      { ...session, extra: 1 },
      /must NOT have additional properties 'extra'/,
    ],
    [
      'a value outside an enum',
      { ...session, status: 'Done' },
      /status must be equal to one of the allowed values/,
    ],
    ['a bad id', { ...session, id: '.x' }, /\/id must match pattern/],
    [
      'a bad date-time',
      { ...session, created_at: '26/11/2026' },
      /created_at must match format "date-time"/,
    ],
    ['a wrong type', { ...session, routine_id: 3 }, /routine_id must be string,null/],
    [
      'a nested problem',
      { ...session, messages: [{ ...session.messages[0], role: 'system' }] },
      /messages\/0\/role/,
    ],
  ])('rejects %s', (_name, body, message) => {
    const clean = JSON.parse(JSON.stringify(body))
    const problems = validateResponse('get_session', 200, json, clean, headers)
    expect(problems.join('\n')).toMatch(message)
  })

  it('rejects an undocumented status, media type or missing body', () => {
    expect(validateResponse('get_session', 500, json, { detail: 'x' }, headers)[0]).toMatch(
      /status 500 is not documented/,
    )
    expect(validateResponse('get_session', 200, 'text/html', '<p>', headers)[0]).toMatch(
      /Content-Type 'text\/html' is not documented/,
    )
    expect(validateResponse('get_session', 200, null, '', headers)[0]).toMatch(/no Content-Type/)
    expect(validateResponse('get_session', 200, json, '{"id":', headers)[0]).toMatch(/not JSON/)
    expect(validateResponse('no_such_operation', 200, json, {}, headers)[0]).toMatch(/no operation/)
  })

  it('checks documented headers', () => {
    expect(validateResponse('get_session', 200, json, session, {})).toEqual([
      'get_session 200: header ETag is missing',
      'get_session 200: header Cache-Control is missing',
      'get_session 200: header X-Request-Id is missing',
    ])
    expect(
      validateResponse('get_session', 304, null, '', { ...headers, ETag: 'unquoted' })[0],
    ).toMatch(/header ETag: \(root\) must match pattern/)
    expect(
      validateResponse('get_session', 200, json, session, {
        ...headers,
        'X-Request-Id': 'bad id!',
      })[0],
    ).toMatch(/header X-Request-Id: \(root\) must match pattern/)
    expect(
      validateResponse('create_session_from_text', 202, json, session, {
        ...headers,
        'Preference-Applied': 'wait',
      })[0],
    ).toMatch(/Preference-Applied: \(root\) must be equal to constant/)
    expect(
      validateResponse('get_session_file', 200, 'image/png', new Uint8Array(1), {
        ...headers,
        'X-Content-Type-Options': 'sniff',
      })[0],
    ).toMatch(/X-Content-Type-Options/)
  })

  it('checks the 422 shape', () => {
    const ok = {
      detail: [{ type: 'missing', loc: ['query', 'agent_id'], msg: 'Field required', input: null }],
    }
    expect(validateResponse('get_sessions', 422, json, ok, headers)).toEqual([])
    expect(
      validateResponse('get_sessions', 422, json, { detail: [{ loc: 'query' }] }, headers).length,
    ).toBeGreaterThan(0)
  })

  it('accepts an empty 204 and flags one with a body', () => {
    const empty = validateResponse('delete_session', 204, null, new Uint8Array(0), headers)
    expect(empty).toEqual([])
    const full = validateResponse('delete_session', 204, 'text/plain', 'deleted', headers)
    expect(full).toEqual(['delete_session 204: the response documents no body, but one was sent'])
  })

  it('requires the headers a 401 and a 429 document', () => {
    const body = { detail: 'Not authenticated' }
    expect(validateResponse('get_session', 401, json, body, headers)).toEqual([
      'get_session 401: header WWW-Authenticate is missing',
    ])
    const limited = { ...headers, 'Retry-After': '1', 'RateLimit-Policy': '"default";q=5;w=1' }
    expect(validateResponse('get_session', 429, json, body, limited)).toEqual([
      'get_session 429: header RateLimit is missing',
    ])
    expect(
      validateResponse('get_session', 429, json, body, { ...limited, RateLimit: 'r=0' }),
    ).toEqual([
      'get_session 429 header RateLimit: (root) must match pattern "^"[A-Za-z0-9_-]+";r=[0-9]+;t=[0-9]+$"',
    ])
  })

  it('validates every example of openapi.yaml against its own schema', () => {
    const problems: string[] = []
    for (const op of loadSpec().operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          const examples = [
            media.example,
            ...Object.values(media.examples ?? {}).map((e) => e.value),
          ].filter((e) => e !== undefined)
          expect(
            examples.length,
            `${op.operationId} ${status} ${type} has an example`,
          ).toBeGreaterThan(0)
          // Headers the response requires (WWW-Authenticate, Retry-After, ...) need examples too.
          const documented = { ...headers, ...exampleHeaders(response) }
          for (const example of examples) {
            const contentType = type === '*/*' ? 'text/plain' : type
            problems.push(
              ...validateResponse(op.operationId, Number(status), contentType, example, documented),
            )
          }
        }
      }
    }
    expect(problems).toEqual([])
  })
})
