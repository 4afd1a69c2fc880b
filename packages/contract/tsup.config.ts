import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/document.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
})
