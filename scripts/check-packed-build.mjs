#!/usr/bin/env node
// A package's `prepack`: refuses to pack (and so to publish) a package whose build is missing
// or older than its sources, instead of letting npm make a tarball of package.json alone. It
// does not build: a build here would clean dist under the package tests that read it.
// Usage, from the package's folder: node ../../scripts/check-packed-build.mjs
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const manifest = JSON.parse(readFileSync('package.json', 'utf8'))
/** Every file that publishConfig's exports and entry points name. */
const named = new Set()
const collect = (value) => {
  if (typeof value === 'string') named.add(value)
  else if (value && typeof value === 'object')
    for (const child of Object.values(value)) collect(child)
}
const published = manifest.publishConfig ?? {}
collect([published.exports, published.main, published.module, published.types])
const outputs = [...named].filter((file) => file.startsWith('./dist/'))
const sources = readdirSync('src', { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath, entry.name))
const newestSource = Math.max(...sources.map((file) => statSync(file).mtimeMs))
const missing = outputs.filter((file) => !existsSync(file))
const stale = outputs.filter((file) => existsSync(file) && statSync(file).mtimeMs < newestSource)
if (outputs.length === 0 || missing.length > 0 || stale.length > 0) {
  const what =
    outputs.length === 0
      ? 'publishConfig names no file in dist/'
      : missing.length > 0
        ? `${missing.join(', ')} missing`
        : `${stale.join(', ')} older than src/`
  console.error(`${manifest.name}: not packed, its build is not ready (${what}).`)
  console.error('Run `pnpm build` in this folder (or at the repository root), then pack again.')
  process.exit(1)
}
