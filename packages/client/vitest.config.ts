import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `*.test-d.ts` hold type tests: vitest runs tsc over them on every `vitest run`.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // The package test builds, packs and compiles the package (tsc in a child process), which on
    // a machine busy with the whole repository's tests takes well over 10 s; the rest finish
    // in milliseconds.
    testTimeout: 60_000,
  },
})
