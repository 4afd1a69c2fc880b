import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `*.test-d.ts` hold type tests: vitest runs tsc over them on every `vitest run`.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // The package and consumer tests build, pack, install and compile the package (tsc and npm
    // in child processes): well over 10 s on a machine busy with the whole repository's tests,
    // and over 60 s at a load average of ~20 (seen on 12-04); the rest finish in milliseconds.
    // A guard against a hang, not a measure of speed.
    testTimeout: 180_000,
  },
})
