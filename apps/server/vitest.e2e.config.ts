import { defineConfig } from 'vitest/config'

// Browser tests need Chromium (Debian's `chromium` package); `pnpm test` does not run them.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
