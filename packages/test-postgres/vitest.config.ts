import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test starts a PostgreSQL (initdb included), which takes seconds on a machine busy
    // with the whole repository's tests.
    testTimeout: 60_000,
  },
})
