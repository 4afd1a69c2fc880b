/**
 * Spec-driven fuzzing of the request bodies: the multipart form of `create_session_from_text`
 * and the JSON bodies (`update_session`, `rename_session`, `rate_message`, `ui_chat`). Valid
 * values come from the schemas (json-schema-faker); invalid ones are wrong types, missing fields, hostile strings, odd
 * content types and broken or truncated bodies. The spec is the oracle: a 422 in FastAPI's
 * shape exactly when the body breaks its schema, 413 where a limit says so, 415 for a content
 * type the operation does not take, and never a 5xx or an undocumented status.
 */

import { fc, test } from '@fast-check/vitest'
import type { Session } from '@uxmate/contract'
import { afterAll, describe, expect } from 'vitest'
import { sessionForm, smallLimits, startInProcess } from '../src/fixtures.ts'
import {
  expectSane,
  fromSchema,
  fuzzParameters,
  hasControlCharacter,
  headerSafe,
  hostileString,
  hostileStrings,
} from '../src/fuzz.ts'
import { closingDelimiterEnd, multipartBytes, type Part } from '../src/multipart.ts'
import { inlineRefs, type JsonSchema, loadSpec, operation } from '../src/spec.ts'
import { specValidator } from '../src/spec-validator.ts'

const server = await startInProcess({ runWaitMs: 2000 })
afterAll(() => server.shutdown(1000))

const validator = specValidator()
const schemas = validator.document.components.schemas as Record<string, Record<string, unknown>>
const create = operation('create_session_from_text')
const preferParam = create.parameters.find((p) => p.name === 'Prefer')

/** What the server does with `Prefer` (RFC 7240): respond-async among the preferences. */
const prefersAsync = (prefer: string | undefined) =>
  (prefer ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .includes('respond-async')

const preferValue = fc.option(
  fc.oneof(
    fc.constantFrom('respond-async', 'wait=5', 'respond-async, wait=10', 'handling=lenient'),
    fc.constant('x'.repeat(300)), // over the documented maxLength
    hostileString,
  ),
  { nil: undefined },
)

const isValidPrefer = (prefer: string | undefined) =>
  prefer === undefined || validator.validate(preferParam?.schema, prefer).length === 0

// ---------------------------------------------------------------------------------------------
// create_session_from_text

const fileNames = fc.oneof(
  fc.constantFrom('notes.txt', 'scan.pdf', 'Ünïcødé 😀.png', '.htaccess', 'a'.repeat(300)),
  hostileString.filter((name) => name !== ''),
)
const fileTypes = fc.option(
  fc.constantFrom(
    'text/plain',
    'text/plain; charset=utf-8',
    'application/pdf',
    'text/html',
    'image/svg+xml',
    'application/x-msdownload',
    'application/octet-stream',
    'garbage;;;',
    '',
  ),
  { nil: undefined },
)
const file = fc.record({
  filename: fileNames,
  contentType: fileTypes,
  size: fc.oneof(
    fc.integer({ min: 0, max: 64 }),
    fc.integer({ min: smallLimits.maxFileBytes - 2, max: smallLimits.maxFileBytes + 2 }),
  ),
})

type FieldChoice = string | undefined
const agentId: fc.Arbitrary<FieldChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('echo') },
  { weight: 1, arbitrary: fc.constant('failing') },
  { weight: 2, arbitrary: fromSchema(schemas.AgentId).map(String) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constant(undefined) },
)
const textPrompt: fc.Arbitrary<FieldChoice> = fc.oneof(
  { weight: 4, arbitrary: fromSchema(schemas.TextPrompt).map(String) },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

const boundaries = fc.constantFrom(
  'XyZ',
  '----WebKitFormBoundary7MA4YWxkTrZu0gW',
  "a'()+_,-./:=?b", // every special boundary character; must be quoted in Content-Type
)
const oddContentTypes = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/mixed; boundary=XyZ',
  'multipart/form-datax; boundary=XyZ',
  ';;;',
  'multipart/',
  '',
]

const createCase = fc.record({
  agent_id: agentId,
  text_prompt: textPrompt,
  files: fc.array(file, { maxLength: smallLimits.maxFiles + 1 }),
  extra: fc.option(hostileString, { nil: undefined }),
  prefer: preferValue,
  boundary: boundaries,
  upperCaseType: fc.boolean(),
  mode: fc.oneof(
    { weight: 6, arbitrary: fc.constant('well-formed' as const) },
    { weight: 2, arbitrary: fc.constant('truncated' as const) },
    { weight: 1, arbitrary: fc.constant('wrong-boundary' as const) },
    { weight: 1, arbitrary: fc.constant('no-boundary' as const) },
    { weight: 1, arbitrary: fc.constant('garbage' as const) },
    { weight: 2, arbitrary: fc.constantFrom(...oddContentTypes).map((type) => ({ type })) },
  ),
  cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  garbage: fc.uint8Array({ maxLength: 300 }),
})

type CreateCase = typeof createCase extends fc.Arbitrary<infer T> ? T : never

function createRequest(c: CreateCase) {
  const parts: Part[] = []
  if (c.agent_id !== undefined) parts.push({ name: 'agent_id', data: c.agent_id })
  if (c.text_prompt !== undefined) parts.push({ name: 'text_prompt', data: c.text_prompt })
  if (c.extra !== undefined) parts.push({ name: 'extra', data: c.extra })
  for (const f of c.files)
    parts.push({
      name: 'files',
      filename: f.filename,
      contentType: f.contentType,
      data: new Uint8Array(f.size).fill(0x61),
    })
  const quotedBoundary = /^[A-Za-z0-9_-]+$/.test(c.boundary) ? c.boundary : `"${c.boundary}"`
  const multipartType = c.upperCaseType ? 'Multipart/Form-Data' : 'multipart/form-data'
  const full = multipartBytes(parts, c.boundary)
  let body: Uint8Array<ArrayBuffer> = full
  let contentType: string | undefined = `${multipartType}; boundary=${quotedBoundary}`
  const { mode } = c
  if (mode === 'truncated')
    body = full.slice(0, Math.floor(c.cut * closingDelimiterEnd(full, c.boundary)))
  else if (mode === 'wrong-boundary') contentType = `${multipartType}; boundary=NotTheOne`
  else if (mode === 'no-boundary') contentType = multipartType
  else if (mode === 'garbage') body = new Uint8Array(c.garbage)
  else if (typeof mode === 'object') contentType = mode.type || undefined
  const headers = new Headers()
  if (contentType !== undefined) headers.set('Content-Type', contentType)
  const prefer = c.prefer === undefined ? undefined : headerSafe(c.prefer)
  if (prefer !== undefined) headers.set('Prefer', prefer)
  return { body, headers, prefer, full }
}

describe('fuzzing create_session_from_text', () => {
  test.prop([createCase], fuzzParameters(250))(
    'never a 5xx, always documented; 422/413/415 exactly when the spec says so',
    async (c) => {
      const { body, headers, prefer, full } = createRequest(c)
      const fieldsValid =
        validator.validate(schemas.Body_create_session_from_text, {
          ...(c.agent_id !== undefined && { agent_id: c.agent_id }),
          ...(c.text_prompt !== undefined && { text_prompt: c.text_prompt }),
          files: c.files.map((f) => f.filename),
        }).length === 0 && isValidPrefer(prefer)
      const overLimit =
        c.files.some((f) => f.size > smallLimits.maxFileBytes) ||
        c.files.length > smallLimits.maxFiles ||
        full.byteLength > smallLimits.maxRequestBytes
      // A control character in a part header (here: a file name; CR, LF and `"` are escaped)
      // is not allowed by RFC 7578/9110: the body is malformed, however valid the values.
      const malformedHeader = c.files.some((f) =>
        hasControlCharacter(f.filename.replaceAll('\r', '').replaceAll('\n', '')),
      )
      const described = `POST /sessions/text ${JSON.stringify({ ...c, garbage: c.garbage.length, files: c.files.map((f) => `${JSON.stringify(f.filename).slice(0, 40)}:${f.size}`), text_prompt: c.text_prompt?.slice(0, 60) })}`
      const response = await server.request('/sessions/text', { method: 'POST', headers, body })
      const { mode } = c

      if (typeof mode === 'object') {
        await expectSane(create, response, { valid: false, alsoAllowed: [415] }, described)
        expect(response.status, described).toBe(415)
      } else if (mode === 'no-boundary') {
        // The right media type, but unreadable: 422, or 415 for a Content-Type that is unusable.
        await expectSane(create, response, { valid: false, alsoAllowed: [415] }, described)
      } else if (mode !== 'well-formed' || malformedHeader) {
        await expectSane(
          create,
          response,
          { valid: false, alsoAllowed: overLimit ? [413] : [] },
          described,
        )
      } else if (overLimit) {
        await expectSane(create, response, { valid: false, alsoAllowed: [413] }, described)
        if (fieldsValid) expect(response.status, described).toBe(413)
      } else if (!fieldsValid) {
        await expectSane(create, response, { valid: false }, described)
      } else {
        const { status, body: session } = await expectSane(
          create,
          response,
          { valid: true },
          described,
        )
        const known = c.agent_id === 'echo' || c.agent_id === 'failing'
        const expected = !known ? 404 : prefersAsync(prefer) ? 202 : 200
        expect(status, described).toBe(expected)
        if (status === 202) expect(response.headers.get('preference-applied')).toBe('respond-async')
        if (status === 200 || status === 202) {
          const message = (session as Session).messages[0]
          expect(message?.text).toBe(c.text_prompt)
          expect(message?.files?.length ?? 0).toBe(c.files.length)
        }
      }
    },
  )
})

// ---------------------------------------------------------------------------------------------
// The JSON bodies: update_session, rename_session, rate_message, ui_chat (every operation that
// takes application/json)

const created = await server.request('/sessions/text', {
  method: 'POST',
  body: sessionForm({ agent_id: 'echo', text_prompt: 'To be continued' }),
})
const existing = (await created.json()) as Session
const existingId = existing.id
/** The existing session's messages: a reply may be rated, the user's message may not. */
const [askedId = '', replyId = ''] = existing.messages.map((m) => m.id)

/** Valid bodies from the schema, hostile values for its first required field, wrong shapes. */
function jsonBodies(schema: JsonSchema): fc.Arbitrary<unknown> {
  const resolved = inlineRefs(validator.document, schema) as JsonSchema
  const key = ((resolved.required as string[] | undefined) ?? ['text'])[0] ?? 'text'
  const property = ((resolved.properties ?? {}) as Record<string, JsonSchema>)[key] ?? {}
  const tooLong = 'x'.repeat(Number(property.maxLength ?? 100_000) + 1)
  return fc.oneof(
    { weight: 4, arbitrary: fromSchema(schema) },
    { weight: 3, arbitrary: hostileString.map((value) => ({ [key]: value })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<unknown>(
        {},
        { [key]: 5 },
        { [key]: null },
        { [key]: ['a'] },
        { [key]: { a: 1 } },
        { [key]: '' },
        { [key]: ' \t\n' },
        { [key]: tooLong },
        { [key]: 'ok', unexpected: 'field' },
        JSON.parse(`{"${key}":"ok","__proto__":{"polluted":true}}`),
        { [key.toUpperCase()]: 'wrong case' },
        [],
        'a string',
        42,
        null,
      ),
    },
  )
}

const jsonOperations = loadSpec().operations.filter(
  (op) => op.requestBody?.content['application/json'] !== undefined,
)

for (const op of jsonOperations) {
  const schema = op.requestBody?.content['application/json']?.schema ?? {}
  const prefer = op.parameters.find((p) => p.name === 'Prefer')
  const pathNames = op.parameters.filter((p) => p.in === 'path').map((p) => p.name)
  const jsonCase = fc.record({
    sessionId: fc.oneof(
      { weight: 4, arbitrary: fc.constant(existingId) },
      { weight: 2, arbitrary: fc.uuid({ version: 4 }) },
      // Opaque ids of any shape the contract allows name no session; past its limits, 422.
      { weight: 1, arbitrary: fromSchema(schemas.ResourceId).map(String) },
      { weight: 1, arbitrary: fc.constant('x'.repeat(129)) },
      { weight: 1, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length > 2)) },
    ),
    messageId: fc.oneof(
      { weight: 4, arbitrary: fc.constant(replyId) },
      { weight: 1, arbitrary: fc.constant(askedId) },
      { weight: 1, arbitrary: fromSchema(schemas.ResourceId).map(String) },
      { weight: 1, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length > 2)) },
    ),
    body: jsonBodies(schema),
    prefer: prefer ? preferValue : fc.constant(undefined),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
    ),
    mode: fc.oneof(
      { weight: 6, arbitrary: fc.constant('json' as const) },
      { weight: 1, arbitrary: fc.constant('truncated' as const) },
      { weight: 1, arbitrary: fc.constant('not-utf8' as const) },
      { weight: 1, arbitrary: fc.constant('empty' as const) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            'text/plain',
            'application/xml',
            'multipart/form-data; boundary=XyZ',
            'application/x-www-form-urlencoded',
            'application/jsonx',
            'text/json',
          )
          .map((type) => ({ type })),
      },
    ),
    cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  })

  describe(`fuzzing ${op.operationId}`, () => {
    test.prop([jsonCase], fuzzParameters(200))(
      'never a 5xx, always documented; 422/415 exactly when the spec says so',
      async (c) => {
        // A JSON body is a session's (its id in the path) or the AI SDK chat's (its id inside).
        const sessionScoped = pathNames.length > 0
        // A session's, or one of its messages' (a rating).
        const messageScoped = pathNames.includes('message_id')
        if (sessionScoped)
          expect(pathNames, `${op.operationId}: only these ids are generated`).toEqual(
            messageScoped ? ['session_id', 'message_id'] : ['session_id'],
          )
        const text = JSON.stringify(c.body)
        let body: string | Uint8Array<ArrayBuffer> = text
        let contentType: string = c.contentType
        if (c.mode === 'truncated') body = text.slice(0, Math.floor(c.cut * text.length))
        else if (c.mode === 'not-utf8')
          body = new Uint8Array([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d])
        else if (c.mode === 'empty') body = ''
        else if (typeof c.mode === 'object') contentType = c.mode.type
        const headers = new Headers({ 'Content-Type': contentType })
        const preferSent = c.prefer === undefined ? undefined : headerSafe(c.prefer)
        if (preferSent !== undefined) headers.set('Prefer', preferSent)
        const segment = encodeURIComponent(c.sessionId).replaceAll('.', '%2E')
        const path = op.path
          .replace('{session_id}', segment)
          .replace('{message_id}', encodeURIComponent(c.messageId).replaceAll('.', '%2E'))
        const idValid =
          (!sessionScoped || validator.validate(schemas.ResourceId, c.sessionId).length === 0) &&
          (!messageScoped || validator.validate(schemas.ResourceId, c.messageId).length === 0)
        const bodyValid = c.mode === 'json' && validator.validate(schema, c.body).length === 0
        const valid = idValid && bodyValid && isValidPrefer(preferSent)
        const method = op.method.toUpperCase()
        const described = `${method} ${path} ${contentType} ${JSON.stringify(preferSent)} ${c.mode === 'json' ? text.slice(0, 200) : JSON.stringify(c.mode)}`
        const response = await server.request(path, { method, headers, body })

        if (typeof c.mode === 'object') {
          // The body's type is refused whatever else is wrong; a bad id may be reported first.
          await expectSane(op, response, { valid: false, alsoAllowed: [415] }, described)
          if (idValid) expect(response.status, described).toBe(415)
        } else if (!valid) {
          // A chat's body may carry files, so its limit is an upload's: a long one is a 413.
          const alsoAllowed = sessionScoped ? [] : [413]
          await expectSane(op, response, { valid: false, alsoAllowed }, described)
        } else if (!sessionScoped) {
          // A valid chat request may still be refused by what it says: the last message is not
          // the user's, has no text, names a remote file or one over the limits, a new chat
          // without an agent (422, 413), an unknown agent (404), an id taken (409).
          const { status } = await expectSane(
            op,
            response,
            { valid: true, alsoAllowed: [413, 422] },
            described,
          )
          expect([200, 404, 409, 413, 422], described).toContain(status)
        } else if (messageScoped) {
          // A user's message is refused by what it is (422); a message not there is a 404.
          const { status } = await expectSane(
            op,
            response,
            { valid: true, alsoAllowed: [422] },
            described,
          )
          const expected =
            c.sessionId !== existingId || (c.messageId !== replyId && c.messageId !== askedId)
              ? 404
              : c.messageId === askedId
                ? 422
                : 200
          expect(status, described).toBe(expected)
        } else {
          const { status } = await expectSane(op, response, { valid: true }, described)
          const async = prefer !== undefined && prefersAsync(preferSent) && '202' in op.responses
          const expected =
            c.sessionId !== existingId
              ? [404]
              : [async ? 202 : 200, ...('409' in op.responses ? [409] : [])]
          expect(expected, described).toContain(status)
        }
      },
    )
  })
}
