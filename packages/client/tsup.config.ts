import { defineConfig } from 'tsup'
import { formatSize, measureSize } from './scripts/size.ts'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // Node 20 and the browsers of the last few years; nothing newer is used.
  target: 'es2022',
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
  async onSuccess() {
    console.log(formatSize(await measureSize()))
  },
})
