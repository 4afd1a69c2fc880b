import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `*.test-d.ts` hold type tests: vitest runs tsc over them on every `vitest run`.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // The package test builds and packs the package; the rest finish in milliseconds.
    testTimeout: 10_000,
  },
})
