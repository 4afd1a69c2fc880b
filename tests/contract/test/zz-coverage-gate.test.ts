/**
 * The coverage gate: runs after every other file (vitest.config.ts puts it in a later group) and
 * fails, naming each pair, when a documented (operationId, status) pair of openapi.yaml was
 * never produced by the real server and validated, or a documented field of a JSON response was
 * never sent. An operation, status or response field added to the document without a contract
 * test turns this red.
 */
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { missingPairs, readRecords } from '../src/coverage.ts'
import { documentedFields, missingFields } from '../src/field-coverage.ts'
import { loadSpec } from '../src/spec.ts'

describe('coverage gate', () => {
  afterAll(() => rmSync(inject('coverageFile'), { force: true }))

  it('every documented (operation, status) pair of openapi.yaml was exercised and validated', () => {
    const { operations } = loadSpec()
    const records = readRecords(inject('coverageFile'))
    const missing = missingPairs(operations, records)
    if (missing.length > 0)
      throw new Error(
        `${missing.length} documented response(s) of openapi.yaml have no contract test:\n${missing
          .map((line) => `  - ${line}`)
          .join('\n')}\n(records: ${records.length}; add a test that produces and validates each)`,
      )
    expect(missing).toEqual([])
  })

  it('every documented field of a JSON response was sent by the server at least once', () => {
    const { document, operations } = loadSpec()
    const records = readRecords(inject('coverageFile'))
    const seen = records.flatMap((record) => record.fields ?? [])
    const missing = missingFields(documentedFields(document, operations), seen)
    if (missing.length > 0)
      throw new Error(
        `${missing.length} documented response field(s) of openapi.yaml were never sent:\n${missing
          .map((line) => `  - ${line}`)
          .join('\n')}\n(make the contract scenario produce each, or, when it cannot by nature, ` +
          'add it with the reason to rarelySentFields in src/field-coverage.ts)',
      )
    expect(missing).toEqual([])
  })
})
