import { defineConfig } from 'tsup'

// One file to deploy: workspace code (the contract) is bundled in, npm dependencies stay
// external and come from `pnpm deploy`'s node_modules (better-sqlite3 is native).
export default defineConfig({
  // `api-key`: mints API keys. `migrate`: the store's migrations alone, for a deploy step before
  // the new version starts.
  entry: { main: 'src/main.ts', 'api-key': 'src/api-key.ts', migrate: 'src/migrate.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node22',
  clean: true,
  sourcemap: true,
  noExternal: [/^@uxmate\//],
})
