import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The whole repository's tests share two cores: room for a test that waits on a loaded
    // machine, not a budget any test is meant to approach.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
