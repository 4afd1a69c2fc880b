/**
 * The client's own cost in an app's bundle: `src/index.ts` bundled and minified with esbuild,
 * then gzipped, with openapi-fetch left out (the app pays for it anyway, and it has its own
 * budget) and the contract contributing types only.
 */

import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

/** The size budget, in bytes (10 kB). */
export const budgetBytes = 10_000

/** Bundles, minifies and gzips the client; returns the sizes in bytes. */
export async function measureSize(): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['openapi-fetch'],
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents
  if (!code) throw new Error('esbuild produced no output')
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength }
}

/** `client: 3.1 kB min+gzip (8.9 kB min)` */
export function formatSize(size: { minified: number; gzipped: number }): string {
  const kB = (bytes: number) => (bytes / 1_000).toFixed(1)
  return `client: ${kB(size.gzipped)} kB min+gzip (${kB(size.minified)} kB min, openapi-fetch excluded)`
}
