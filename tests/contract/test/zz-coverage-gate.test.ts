/**
 * The coverage gate: runs after every other file (vitest.config.ts puts it in a later group) and
 * fails, naming each pair, when a documented (operationId, status) pair of openapi.yaml was
 * never produced by the real server and validated. An operation or status added to the document
 * without a contract test turns this red.
 */
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { missingPairs, readRecords } from '../src/coverage.ts'
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
})
