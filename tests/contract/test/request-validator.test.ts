/**
 * The request checker the client tests rely on: it must reject what openapi.yaml forbids.
 */
import { describe, expect, it } from 'vitest'
import { validateRequest } from '../src/request-validator.ts'

const base = 'http://uxmate.test'
const uuid = '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'

async function problems(path: string, init?: RequestInit) {
  const check = await validateRequest(new Request(`${base}${path}`, init))
  return { operationId: check.operation?.operationId, problems: check.problems.join('\n') }
}

function multipart(parts: string[], boundary = 'XyZ') {
  const body = `${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`
  return {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body,
  }
}

describe('validateRequest', () => {
  it('matches the most literal path template', async () => {
    expect((await problems('/sessions/grouped')).operationId).toBe('get_grouped_sessions')
    expect((await problems(`/sessions/${uuid}`)).operationId).toBe('get_session')
    expect((await problems(`/sessions/${uuid}/files/${uuid}`)).operationId).toBe('get_session_file')
  })

  it('accepts valid requests', async () => {
    expect((await problems('/sessions?agent_id=echo&limit=5&cursor=abc')).problems).toBe('')
    expect(
      (
        await problems(`/sessions/${uuid}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
          body: '{"text_prompt":"hi"}',
        })
      ).problems,
    ).toBe('')
    const form = new FormData()
    form.append('agent_id', 'echo')
    form.append('text_prompt', 'Hi')
    form.append('files', new File(['x'], 'x.txt'))
    form.append('files', new File(['y'], 'y.txt'))
    expect((await problems('/sessions/text', { method: 'POST', body: form })).problems).toBe('')
  })

  it.each([
    ['an unknown path', '/nowhere', undefined, /no path of openapi.yaml matches/],
    [
      'an undocumented method',
      '/health',
      { method: 'DELETE' },
      /DELETE is not documented for \/health/,
    ],
    [
      'a bad path parameter',
      `/sessions/${'4'.repeat(129)}`,
      undefined,
      /path parameter session_id: \(root\) must NOT have more than 128 characters/,
    ],
    [
      'a missing required query parameter',
      '/sessions?limit=5',
      undefined,
      /query parameter agent_id is required/,
    ],
    [
      'an undocumented query parameter',
      '/sessions?agent_id=echo&page=2',
      undefined,
      /query parameter page is not documented/,
    ],
    [
      'a non-integer query parameter',
      '/sessions?agent_id=echo&limit=many',
      undefined,
      /query parameter limit: \(root\) must be integer/,
    ],
    [
      'an out-of-range query parameter',
      '/sessions/grouped?limit=5000',
      undefined,
      /limit: \(root\) must be <= 1000/,
    ],
    [
      'a repeated query parameter',
      '/sessions?agent_id=a&agent_id=b',
      undefined,
      /agent_id is sent 2 times/,
    ],
    [
      'a documented header too long',
      '/sessions/text',
      { method: 'POST', headers: { Prefer: 'x'.repeat(300) } },
      /header parameter Prefer: \(root\) must NOT have more than 256 characters/,
    ],
    ['a missing required body', `/sessions/${uuid}`, { method: 'PUT' }, /request body is required/],
    [
      'an undocumented content type',
      `/sessions/${uuid}`,
      { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'hi' },
      /Content-Type 'text\/plain' is not documented/,
    ],
    [
      'a JSON body missing a field',
      `/sessions/${uuid}`,
      { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' },
      /must have required property 'text_prompt'/,
    ],
    [
      'a JSON body that does not parse',
      `/sessions/${uuid}`,
      { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"text_prompt":' },
      /does not parse/,
    ],
    [
      'a blank prompt',
      `/sessions/${uuid}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: '{"text_prompt":"   "}',
      },
      /text_prompt must match pattern/,
    ],
    [
      'files sent as a text field',
      '/sessions/text',
      multipart([
        'Content-Disposition: form-data; name="agent_id"\r\n\r\necho',
        'Content-Disposition: form-data; name="text_prompt"\r\n\r\nhi',
        'Content-Disposition: form-data; name="files"\r\n\r\nnot a file',
      ]),
      /part 'files' #1 must be a file part/,
    ],
    [
      'a text field sent as a file',
      '/sessions/text',
      multipart([
        'Content-Disposition: form-data; name="agent_id"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\necho',
        'Content-Disposition: form-data; name="text_prompt"\r\n\r\nhi',
      ]),
      /part 'agent_id' must be a text field/,
    ],
    [
      'an undocumented part',
      '/sessions/text',
      multipart([
        'Content-Disposition: form-data; name="agent_id"\r\n\r\necho',
        'Content-Disposition: form-data; name="text_prompt"\r\n\r\nhi',
        'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nx',
      ]),
      /part 'file' is not a property/,
    ],
    [
      'a missing form field',
      '/sessions/text',
      multipart(['Content-Disposition: form-data; name="agent_id"\r\n\r\necho']),
      /must have required property 'text_prompt'/,
    ],
    [
      'a repeated single field',
      '/sessions/text',
      multipart([
        'Content-Disposition: form-data; name="agent_id"\r\n\r\necho',
        'Content-Disposition: form-data; name="agent_id"\r\n\r\necho',
        'Content-Disposition: form-data; name="text_prompt"\r\n\r\nhi',
      ]),
      /'agent_id' is sent 2 times/,
    ],
    [
      'a multipart type without boundary',
      '/sessions/text',
      { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' },
      /no boundary/,
    ],
  ])('rejects %s', async (_name, path, init, expected) => {
    expect((await problems(path, init)).problems).toMatch(expected)
  })
})
