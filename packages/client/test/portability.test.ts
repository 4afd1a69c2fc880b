/**
 * The client must run in browsers as well as Node 20: its sources may use only what both
 * provide (fetch, Request, FormData, Blob, File, AbortSignal, crypto), never Node's modules or
 * globals.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const srcDir = new URL('../src/', import.meta.url)
const sources = readdirSync(srcDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ name, text: readFileSync(new URL(name, srcDir), 'utf8') }))

describe('portability', () => {
  it('finds the sources', () => {
    expect(sources.map((source) => source.name)).toContain('index.ts')
  })

  it.each(sources)('$name uses no Node-only module or global', ({ text }) => {
    // Comments may mention Node; code may not.
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    expect(code).not.toMatch(/from\s+['"]node:|require\(|import\(\s*['"]node:/)
    expect(code).not.toMatch(/\b(Buffer|process|__dirname|__filename|setImmediate)\b/)
  })

  it('imports nothing at run time but openapi-fetch and its own files', () => {
    for (const { text } of sources) {
      for (const [, specifier] of text.matchAll(/^import\s+(?!type\b)[^'"]*['"]([^'"]+)['"]/gm)) {
        expect(specifier === 'openapi-fetch' || specifier?.startsWith('./')).toBe(true)
      }
    }
  })
})
