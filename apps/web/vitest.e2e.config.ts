import { defineConfig } from 'vitest/config'

// Browser tests of the built app (`pnpm build` first; turbo does): Debian's `chromium`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Polls wait for the page as a user would: a few seconds, not vitest's one.
    expect: { poll: { timeout: 10_000 } },
    // One browser and servers of their own: the files run one after another.
    fileParallelism: false,
  },
})
