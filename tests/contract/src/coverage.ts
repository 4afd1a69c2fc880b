/**
 * The coverage recorder: which documented (operationId, status) pairs the real server produced
 * and the spec validator accepted during this run. Test files run in separate workers, so each
 * pair is appended as one JSON line to a file shared by the whole run (its path comes from
 * vitest's `provide`, see vitest.config.ts); the gate (test/zz-coverage-gate.test.ts) reads it
 * back once every other file has finished.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { inject } from 'vitest'
import { documentedPairs, type Operation } from './spec.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The JSON-lines file the run's validated pairs are appended to. */
    coverageFile: string
  }
}

export interface CoverageRecord {
  operationId: string
  status: number
  /** How the response reached the test: `in-process`, `socket`, `prism`, `client`, `fuzz`. */
  via: string
  /** The documented response fields its body had (see src/field-coverage.ts). */
  fields?: string[]
}

/** Records that the server produced this documented pair and it passed validation. */
export function recordValidatedPair(record: CoverageRecord): void {
  appendFileSync(inject('coverageFile'), `${JSON.stringify(record)}\n`)
}

/** The pairs recorded in `file` so far. */
export function readRecords(file: string): CoverageRecord[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CoverageRecord)
}

/**
 * One message per documented pair that no record covers, in the document's order, e.g.
 * `get_session 422 was never exercised and validated`.
 */
export function missingPairs(operations: Operation[], records: CoverageRecord[]): string[] {
  const seen = new Set(
    records.flatMap((r) => [
      `${r.operationId} ${r.status}`,
      // A `4XX`-style range is covered by any status in it.
      `${r.operationId} ${String(r.status)[0]}XX`,
    ]),
  )
  return documentedPairs(operations)
    .filter(([operationId, status]) => !seen.has(`${operationId} ${status.toUpperCase()}`))
    .map(([operationId, status]) => `${operationId} ${status} was never exercised and validated`)
}
