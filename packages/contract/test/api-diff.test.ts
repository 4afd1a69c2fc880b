/**
 * The breaking-change check on a corpus of before/after pairs: one small document, and for each
 * kind of change the document changed that way, with the kinds the diff must report.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { diffOpenApi, formatReport } from '../scripts/api-diff.ts'
import { majorReleases } from '../scripts/check-breaking.ts'

// biome-ignore lint/suspicious/noExplicitAny: documents are plain data here
type Doc = any

/** A document with one operation of each part: path and query parameters, a body, statuses. */
function base(): Doc {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/sessions/{session_id}': {
        put: {
          operationId: 'update_session',
          parameters: [
            { name: 'session_id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'Prefer', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Update' } },
            },
          },
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Session' } } },
            },
            '404': { description: 'not found' },
          },
        },
      },
      '/health': {
        get: {
          operationId: 'get_health',
          responses: { '200': { description: 'ok' } },
        },
      },
    },
    components: {
      schemas: {
        Update: {
          type: 'object',
          required: ['text_prompt'],
          properties: {
            text_prompt: { type: 'string', minLength: 1, maxLength: 100 },
            tone: { type: 'string' },
          },
        },
        Session: {
          type: 'object',
          required: ['id', 'status', 'messages'],
          properties: {
            id: { type: 'string' },
            status: { $ref: '#/components/schemas/Status' },
            count: { type: 'number' },
            messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } },
          },
        },
        Message: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string' }, name: { type: ['string', 'null'] } },
        },
        Status: { type: 'string', enum: ['Running', 'Ready', 'Flushed'] },
      },
    },
  }
}

const schemas = (doc: Doc) => doc.components.schemas
const put = (doc: Doc) => doc.paths['/sessions/{session_id}'].put

/** [what changed, the change, the kinds reported, whether breaking]. */
const corpus: Array<[string, (doc: Doc) => void, string[], boolean]> = [
  ['an operation removed', (d) => delete d.paths['/health'], ['operation-removed'], true],
  ['a parameter removed', (d) => put(d).parameters.splice(1, 1), ['parameter-removed'], true],
  [
    'a response field removed',
    (d) => delete schemas(d).Session.properties.count,
    ['response-field-removed'],
    true,
  ],
  [
    'a response field removed deep in a list',
    (d) => delete schemas(d).Message.properties.name,
    ['response-field-removed'],
    true,
  ],
  ['an enum value removed', (d) => schemas(d).Status.enum.pop(), ['type-narrowed'], true],
  [
    'a required request field added',
    (d) => {
      schemas(d).Update.properties.agent_id = { type: 'string' }
      schemas(d).Update.required.push('agent_id')
    },
    ['request-field-required-added'],
    true,
  ],
  [
    'a request field made required',
    (d) => schemas(d).Update.required.push('tone'),
    ['request-field-required'],
    true,
  ],
  [
    'a required parameter added',
    (d) => put(d).parameters.push({ name: 'tz', in: 'query', required: true, schema: {} }),
    ['parameter-required-added'],
    true,
  ],
  [
    'a parameter made required',
    (d) => {
      put(d).parameters[1].required = true
    },
    ['parameter-required'],
    true,
  ],
  [
    'a type narrowed (null no longer allowed)',
    (d) => {
      schemas(d).Message.properties.name.type = 'string'
    },
    ['type-narrowed'],
    true,
  ],
  [
    'a number narrowed to an integer',
    (d) => {
      schemas(d).Session.properties.count.type = 'integer'
    },
    ['type-narrowed'],
    true,
  ],
  [
    'a limit tightened',
    (d) => {
      schemas(d).Update.properties.text_prompt.maxLength = 50
    },
    ['type-narrowed'],
    true,
  ],
  [
    'a pattern added',
    (d) => {
      schemas(d).Update.properties.tone.pattern = '^[a-z]+$'
    },
    ['type-narrowed'],
    true,
  ],
  ['a status removed', (d) => delete put(d).responses['404'], ['status-removed'], true],
  [
    'a response content type changed',
    (d) => {
      const { responses } = put(d)
      responses['200'].content = { 'text/plain': responses['200'].content['application/json'] }
    },
    ['content-type-removed', 'response-content-type-added'],
    true,
  ],
  [
    'a request content type changed',
    (d) => {
      const body = put(d).requestBody
      body.content = { 'multipart/form-data': body.content['application/json'] }
    },
    ['content-type-removed', 'content-type-added'],
    true,
  ],
  [
    'a response field made optional',
    (d) => schemas(d).Session.required.pop(),
    ['response-field-optional'],
    true,
  ],
  // Additions and widenings: not breaking.
  [
    'an operation added',
    (d) => {
      d.paths['/ready'] = { get: { operationId: 'get_ready', responses: { '200': {} } } }
    },
    ['operation-added'],
    false,
  ],
  [
    'an optional parameter added',
    (d) => put(d).parameters.push({ name: 'tz', in: 'query', schema: { type: 'string' } }),
    ['parameter-added'],
    false,
  ],
  [
    'an optional request field added',
    (d) => {
      schemas(d).Update.properties.agent_id = { type: 'string' }
    },
    ['request-field-added'],
    false,
  ],
  [
    'a response field added',
    (d) => {
      schemas(d).Session.properties.pinned = { type: 'boolean' }
    },
    ['response-field-added'],
    false,
  ],
  ['an enum value added', (d) => schemas(d).Status.enum.push('Archived'), ['type-widened'], false],
  [
    'a limit loosened',
    (d) => {
      schemas(d).Update.properties.text_prompt.maxLength = 1000
    },
    ['type-widened'],
    false,
  ],
  [
    'a status added',
    (d) => {
      put(d).responses['409'] = { description: 'busy' }
    },
    ['status-added'],
    false,
  ],
  [
    'only words changed',
    (d) => {
      put(d).description = 'Continues a session.'
      schemas(d).Session.description = 'A conversation.'
    },
    [],
    false,
  ],
]

describe('diffOpenApi on the corpus', () => {
  it.each(corpus)('%s', (_, change, kinds, breaking) => {
    const after = base()
    change(after)
    const changes = diffOpenApi(base(), after)
    expect(changes.map((found) => found.kind).sort()).toEqual([...kinds].sort())
    expect(changes.some((found) => found.breaking)).toBe(breaking)
  })

  it('names the operation and the field', () => {
    const after = base()
    delete schemas(after).Message.properties.name
    expect(formatReport(diffOpenApi(base(), after))).toBe(
      [
        '  BREAKING  response field `name` removed at .messages[].name (response-field-removed): update_session 200',
        '1 change(s): 1 breaking, 0 additive',
      ].join('\n'),
    )
  })

  it('finds no change between a document and itself, nor loops on a recursive schema', () => {
    const doc = base()
    schemas(doc).Message.properties.replies = {
      type: 'array',
      items: { $ref: '#/components/schemas/Message' },
    }
    expect(diffOpenApi(doc, structuredClone(doc))).toEqual([])
    expect(formatReport([])).toBe('  no change to the API')
  })
})

describe('the check', () => {
  const script = fileURLToPath(new URL('../scripts/check-breaking.ts', import.meta.url))
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

  it('reads major releases from pending changesets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxmate-changesets-'))
    try {
      writeFileSync(join(dir, 'README.md'), '---\n"@uxmate/contract": major\n---\n')
      writeFileSync(
        join(dir, 'a.md'),
        '---\n"@uxmate/contract": major\n"@uxmate/client": minor\n---\n\nx\n',
      )
      writeFileSync(join(dir, 'b.md'), "---\n'@uxmate/client': major\n---\n\ny\n")
      expect(majorReleases(dir)).toEqual(new Set(['@uxmate/contract', '@uxmate/client']))
      expect(majorReleases(join(dir, 'none'))).toEqual(new Set())
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fails on a breaking change without a major changeset, passes on an additive one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxmate-base-'))
    try {
      const root = fileURLToPath(new URL('../../..', import.meta.url))
      const current = parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'))
      const check = (release: Doc, changesets: string) => {
        const file = join(dir, 'release.yaml')
        writeFileSync(file, stringify(release))
        return spawnSync(tsx, [script, '--base', file, '--changesets', changesets], {
          encoding: 'utf8',
        })
      }
      const none = join(dir, 'no-changesets')
      const majors = join(dir, 'changesets')
      mkdirSync(majors)
      writeFileSync(
        join(majors, 'break.md'),
        '---\n"@uxmate/contract": major\n"@uxmate/client": major\n---\n\nGone.\n',
      )
      // The release had an operation that the current document lacks: it was removed.
      const withMore = structuredClone(current)
      withMore.paths['/gone'] = base().paths['/health']
      const removed = check(withMore, none)
      expect(removed.stdout).toContain(
        'BREAKING  GET /gone removed (operation-removed): get_health',
      )
      expect(removed.stderr).toContain('Breaking changes need a major release')
      expect(removed.status).toBe(1)
      expect(check(withMore, majors).status).toBe(0)
      // The release lacked an operation that the current document has: it was added.
      const withLess = structuredClone(current)
      delete withLess.paths['/health']
      const added = check(withLess, none)
      expect(added.stdout).toContain('additive  GET /health added (operation-added): get_health')
      expect(added.stdout).toContain('1 change(s): 0 breaking, 1 additive')
      expect(added.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
