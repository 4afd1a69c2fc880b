/**
 * Spec-driven fuzzing of every operation's path, query and header parameters (the bodies are in
 * fuzz-bodies.test.ts): values valid per openapi.yaml (json-schema-faker), hostile strings and
 * wrong types, each request judged by the spec: never a 5xx, never an undocumented status, a
 * body valid for its status, and a FastAPI 422 exactly when a value breaks its schema.
 */

import { fc, test } from '@fast-check/vitest'
import type { Session } from '@uxmate/contract'
import { afterAll, describe, expect } from 'vitest'
import { sessionForm, startInProcess } from '../src/fixtures.ts'
import {
  expectSane,
  fuzzParameters,
  headerSafe,
  hostileString,
  isValidParam,
  type ParamChoice,
  paramValue,
  pathSegment,
} from '../src/fuzz.ts'
import { loadSpec, type Operation, type Parameter } from '../src/spec.ts'

const server = await startInProcess({ runWaitMs: 2000 })
afterAll(() => server.shutdown(1000))

// A few sessions with files, so that valid ids also reach the 200s.
const existing: Array<{ sessionId: string; fileId: string }> = []
for (const name of ['a.txt', 'b.png']) {
  const response = await server.request('/sessions/text', {
    method: 'POST',
    body: sessionForm({ agent_id: 'echo', text_prompt: `Fuzz seed ${name}` }, [
      { name, type: 'text/plain', content: 'hello' },
    ]),
  })
  const session = (await response.json()) as Session
  const fileId = session.messages[0]?.files?.[0]?.id
  if (!fileId) throw new Error('no file on the seed session')
  existing.push({ sessionId: session.id, fileId })
}

/**
 * Values of these parameters (by `loc`) can be valid for the schema and still refused (422) by
 * meaning: an unknown time zone, a forged cursor, an `Idempotency-Key` the fuzzer already sent
 * with another request.
 */
const refusedByMeaning: Record<string, Array<[string, string]>> = {
  get_grouped_sessions: [['query', 'tz']],
  get_sessions: [['query', 'cursor']],
  get_session_messages: [['query', 'cursor']],
  // A query of punctuation or exclusions only, or of too many terms, has nothing to find.
  search_sessions: [
    ['query', 'q'],
    ['query', 'cursor'],
  ],
  list_webhook_deliveries: [['query', 'cursor']],
  get_usage: [
    ['query', 'tz'],
    ['query', 'from'],
    ['query', 'to'],
  ],
  get_agent_feedback: [
    ['query', 'from'],
    ['query', 'to'],
    ['query', 'cursor'],
  ],
  cancel_session: [['header', 'Idempotency-Key']],
  delete_message_feedback: [['header', 'Idempotency-Key']],
  delete_session: [['header', 'Idempotency-Key']],
  get_session_tree: [
    ['query', 'cursor'],
    ['query', 'siblings_of'],
  ],
  // A message of the wrong role is refused with a 422 on `message_id`.
  regenerate_session_message: [
    ['header', 'Idempotency-Key'],
    ['path', 'message_id'],
  ],
  edit_session_message: [
    ['header', 'Idempotency-Key'],
    ['path', 'message_id'],
  ],
  switch_session_branch: [['header', 'Idempotency-Key']],
  fork_session: [['header', 'Idempotency-Key']],
  cancel_queued_turn: [['header', 'Idempotency-Key']],
}

/** Well-known valid values worth sending often (they reach 200s). */
const knownValid: Record<string, string[]> = {
  session_id: existing.map((e) => e.sessionId),
  file_id: existing.map((e) => e.fileId),
  agent_id: ['echo', 'failing'],
  q: ['fuzz', 'fuzz seed', '"fuzz seed" -b.png', 'a.t', 'hello*'],
  tz: ['UTC', 'Europe/Paris', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati'],
}

type Generated = Array<{ param: Parameter; value: ParamChoice }>

function requestFor(op: Operation): fc.Arbitrary<{ params: Generated; extra?: [string, string] }> {
  const params = op.parameters.filter((p) => p.in !== 'cookie')
  const values = params.map((param) =>
    param.in === 'path'
      ? // A path parameter is always there; an empty or dot segment would name another path.
        paramValue(param, knownValid[param.name]).filter(
          (v): v is string => typeof v === 'string' && pathSegment(v) !== undefined,
        )
      : paramValue(param, knownValid[param.name]),
  )
  const extra = fc.option(fc.tuple(fc.constantFrom('page', 'debug', 'sort'), hostileString), {
    nil: undefined,
  })
  return fc.record({ values: fc.tuple(...values), extra }).map(({ values: chosen, extra }) => ({
    params: params.map((param, i) => ({ param, value: chosen[i] })),
    ...(extra ? { extra } : {}),
  }))
}

function build(op: Operation, generated: Generated, extra?: [string, string]) {
  let path = op.path
  const query = new URLSearchParams()
  const headers = new Headers()
  const sent: Array<{ param: Parameter; value: string | string[] }> = []
  for (const { param, value } of generated) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      // An array of the query: the parameter repeated (style form, explode).
      for (const item of value) query.append(param.name, item)
      sent.push({ param, value })
    } else if (param.in === 'path') {
      path = path.replace(`{${param.name}}`, pathSegment(value) ?? '')
      sent.push({ param, value })
    } else if (param.in === 'query') {
      query.append(param.name, value)
      sent.push({ param, value })
    } else if (param.in === 'header') {
      const safe = headerSafe(value)
      if (safe === undefined) continue // cannot travel in HTTP; the header is left out
      headers.set(param.name, safe)
      sent.push({ param, value: safe })
    }
  }
  if (extra) query.append(...extra)
  const search = query.toString()
  return { url: search ? `${path}?${search}` : path, headers, sent }
}

// delete_session last: it deletes the sessions whose ids the other operations are fuzzed with.
const operations = loadSpec()
  .operations.filter((op) => !op.requestBody)
  .sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'))

describe('fuzzing parameters', () => {
  for (const op of operations) {
    test.prop([requestFor(op)], fuzzParameters(150))(
      `${op.operationId}: never a 5xx, always documented, 422 exactly for invalid values`,
      async ({ params, extra }) => {
        const { url, headers, sent } = build(op, params, extra)
        const missing = op.parameters.filter(
          (p) => p.required && !sent.some((s) => s.param.name === p.name && s.param.in === p.in),
        )
        const invalid = sent.filter((s) => !isValidParam(s.param, s.value))
        const valid = missing.length === 0 && invalid.length === 0
        const response = await server.request(url, { method: op.method.toUpperCase(), headers })
        const described = `${op.method.toUpperCase()} ${url} ${JSON.stringify([...headers])}`
        const meaningful = refusedByMeaning[op.operationId] ?? []
        const { status, body } = await expectSane(
          op,
          response,
          valid ? { valid, alsoAllowed: meaningful.length > 0 ? [422] : [] } : { valid },
          described,
        )
        if (valid && status === 422) {
          // Refused by meaning: only the parameters that may be.
          const locs = (body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)
          for (const loc of locs) expect(meaningful).toContainEqual(loc)
        }
        if (!valid && status === 422) {
          // Each problem named is one of the values sent or missing.
          const names = [...missing, ...invalid.map((s) => s.param)].map((p) => p.name)
          const locs = (body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc[1])
          expect(names, described).toEqual(expect.arrayContaining([locs[0]]))
        }
        const sentId = sent.find((s) => s.param.name === 'X-Request-Id')?.value
        if (typeof sentId === 'string' && /^[A-Za-z0-9_=-]{1,128}$/.test(sentId))
          expect(response.headers.get('x-request-id')).toBe(sentId)
      },
    )
  }
})
