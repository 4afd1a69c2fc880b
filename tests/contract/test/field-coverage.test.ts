/**
 * The field coverage gate's parts on a small document: what it counts as documented, what an
 * answer shows of it, and what it reports missing.
 */
import { describe, expect, it } from 'vitest'
import { documentedFields, missingFields, sentFields } from '../src/field-coverage.ts'
import { listOperations, parseDocument } from '../src/spec.ts'

const document = parseDocument(`
openapi: 3.1.0
info: { title: t, version: '1' }
paths:
  /sessions/{id}:
    get:
      operationId: get_session
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Session' }
        4XX:
          description: error
          content:
            application/json:
              schema:
                type: object
                properties: { detail: { type: string } }
components:
  schemas:
    Session:
      type: object
      properties:
        id: { type: string }
        pinned: { type: boolean }
        messages: { type: array, items: { $ref: '#/components/schemas/Message' } }
        parent: { $ref: '#/components/schemas/Session' }
    Message:
      oneOf:
        - type: object
          properties: { text: { type: string } }
        - type: object
          properties: { files: { type: array } }
`)
const [op] = listOperations(document)

describe('field coverage', () => {
  it('names every documented field by its schema, inline ones by operation and status', () => {
    expect(documentedFields(document, listOperations(document))).toEqual([
      'Session.id',
      'Session.pinned',
      'Session.messages',
      'Message.text',
      'Message.files',
      'Session.parent',
      'get_session 4XX.detail',
    ])
  })

  it('records the fields an answer has, through lists, alternatives and ranges', () => {
    if (!op) throw new Error('no operation')
    const body = { id: 'a', messages: [{ text: 'hi' }], parent: { id: 'b' } }
    expect(sentFields(document, op, 200, body).sort()).toEqual(
      ['Message.text', 'Session.id', 'Session.messages', 'Session.parent'].sort(),
    )
    expect(sentFields(document, op, 404, { detail: 'x' })).toEqual(['get_session 4XX.detail'])
    expect(sentFields(document, op, 204, undefined)).toEqual([])
  })

  it('reports the fields never sent, but for allowed fields and schemas', () => {
    const documented = documentedFields(document, listOperations(document))
    const seen = ['Session.id', 'Session.messages', 'Message.text', 'Session.parent']
    expect(missingFields(documented, seen, {})).toEqual([
      'Session.pinned was never sent by the server',
      'Message.files was never sent by the server',
      'get_session 4XX.detail was never sent by the server',
    ])
    const allowed = { 'Session.pinned': 'rare', Message: 'rare', get_session: 'rare' }
    expect(missingFields(documented, seen, allowed)).toEqual([])
  })
})
