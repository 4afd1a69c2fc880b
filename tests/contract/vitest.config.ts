import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

/** Where this run's validated (operationId, status) pairs are appended; see src/coverage.ts. */
const coverageFile = join(tmpdir(), `uxmate-contract-coverage-${process.pid}.jsonl`)

const gate = 'test/zz-coverage-gate.test.ts'

export default defineConfig({
  test: {
    provide: { coverageFile },
    testTimeout: 60_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'contract',
          include: ['test/**/*.test.ts'],
          exclude: [gate],
          globalSetup: ['./src/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Runs once every file of `contract` has finished: the coverage gate reads their records.
        extends: true,
        test: { name: 'coverage-gate', include: [gate], sequence: { groupOrder: 1 } },
      },
    ],
  },
})
