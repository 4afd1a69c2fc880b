/**
 * The breaking-change check (`pnpm --filter @uxmate/contract breaking:check`, part of `pnpm
 * lint`): compares openapi.yaml with the one of the last release, prints every change, and fails
 * when one is breaking while no pending changeset makes a major release of both
 * @uxmate/contract and @uxmate/client.
 *
 * The last release is the highest git tag `@uxmate/contract@X.Y.Z` (`changeset publish` makes
 * it), or the file given as `--base <file>`. With neither, there is nothing to break yet.
 * `--changesets <dir>` reads pending changesets from another folder than `.changeset/`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { diffOpenApi, formatReport } from './api-diff.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const published = ['@uxmate/contract', '@uxmate/client']

/** The release's openapi.yaml and its name, or undefined before the first release. */
function lastRelease(base: string | undefined): { name: string; text: string } | undefined {
  if (base) return { name: base, text: readFileSync(base, 'utf8') }
  let tags: string[]
  try {
    tags = execFileSync('git', ['tag', '--list', '@uxmate/contract@*', '--sort=-version:refname'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean)
  } catch {
    return undefined // not a git checkout (a source archive): no release to compare with
  }
  const [tag] = tags
  if (!tag) return undefined
  const text = execFileSync('git', ['show', `${tag}:openapi.yaml`], { cwd: root, encoding: 'utf8' })
  return { name: `${tag} (git tag)`, text }
}

/**
 * The packages that the pending changesets in `dir` release as a major version.
 *
 * @example
 * ```ts
 * majorReleases('.changeset') // Set { '@uxmate/contract', '@uxmate/client' }
 * ```
 */
export function majorReleases(dir: string): Set<string> {
  const majors = new Set<string>()
  if (!existsSync(dir)) return majors
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.md') || file === 'README.md') continue
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? ''
    for (const line of front.split('\n')) {
      const entry = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line)
      if (entry?.[2] === 'major' && entry[1]) majors.add(entry[1].trim())
    }
  }
  return majors
}

function main(): number {
  const option = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const release = lastRelease(option('--base'))
  if (!release) {
    console.log('API check: no release yet (no git tag @uxmate/contract@*): nothing to break.')
    return 0
  }
  const current = parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'))
  const changes = diffOpenApi(parse(release.text), current)
  console.log(`API check: openapi.yaml against ${release.name}`)
  console.log(formatReport(changes))
  if (!changes.some((change) => change.breaking)) return 0
  const majors = majorReleases(option('--changesets') ?? join(root, '.changeset'))
  const missing = published.filter((name) => !majors.has(name))
  if (missing.length === 0) {
    console.log('Breaking, and a pending changeset releases a major version of both packages.')
    return 0
  }
  console.error(
    `Breaking changes need a major release of ${published.join(' and ')}; no pending changeset ` +
      `makes one of ${missing.join(' and ')}. Run \`pnpm changeset\`, choose major for both and ` +
      'say what breaks and how to adapt, or make the change additive (see README, Changing the API).',
  )
  return 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main()
