/**
 * Search (issue 17): `GET /sessions/search` over stores of 10k to 1M messages of varied text
 * (see `seed/search-text.ts`), on SQLite (FTS5) and PostgreSQL (tsvector + GIN), with every
 * session one owner's or 1,002 owners' (searching as one, whose history is the same at every
 * scale while the others' grows: `searchSessionOwner`), and a filtered
 * grouped page over the same sessions. Our server runs without its read cache
 * (`READ_CACHE_BYTES=0`): a search repeated with nothing written in between would otherwise be
 * a kept answer, and the rows are about the index. Each layout's store grows from scale to
 * scale (the seed appends older sessions); the stores are deleted at the end.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@uxmate/test-postgres'
import type { BenchConfig } from '../config.ts'
import type { SearchResults, SearchRow } from '../report/results.ts'

type SearchSeeding = SearchResults['seeding'][number]

import {
  MESSAGES_PER_SESSION,
  SEARCH_OWNERS,
  SEARCHED_OWNER_INDEX,
  type SearchLayout,
  seedSearchPostgres,
  seedSearchSqlite,
} from '../seed/search-seed.ts'
import { benchOwner, benchOwnerKey } from '../seed/seed-rows.ts'
import type { SeedReport } from '../seed/seed-store.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { describeRound, getSpec, measureInterleaved, progress } from './measure.ts'
import { resultCount, searchScenarios } from './search-scenarios.ts'

const LAYOUTS: readonly SearchLayout[] = ['one-owner', 'many-owners']

interface Context {
  config: BenchConfig
  main: string
  workDir: string
  logDir: string
  keysFile: string
}

/** The searched owner's key, for the many-owners layout: the only key the server knows. */
function writeKeysFile(path: string): void {
  const key = benchOwnerKey(SEARCHED_OWNER_INDEX)
  writeFileSync(
    path,
    JSON.stringify([
      {
        owner: benchOwner(SEARCHED_OWNER_INDEX),
        sha256: createHash('sha256').update(key, 'utf8').digest('hex'),
      },
    ]),
  )
}

/** Our server for a layout: open mode (the anonymous owner) or the searched owner's key only. */
function serverEnv(context: Context, layout: SearchLayout, env: Record<string, string>) {
  return {
    READ_CACHE_BYTES: '0',
    ...(layout === 'many-owners' && { API_KEYS_FILE: context.keysFile }),
    ...env,
  }
}

/** Each scenario's row at one scale of one layout and store, against a started server. */
async function measureScale(
  context: Context,
  options: {
    store: SearchRow['store']
    layout: SearchLayout
    messages: number
    dataDir: string
    env: Record<string, string>
  },
): Promise<SearchRow[]> {
  const { config } = context
  const ours = await startOurServer({
    main: context.main,
    dataDir: options.dataDir,
    logDir: context.logDir,
    env: serverEnv(context, options.layout, options.env),
    role: `search server ${options.store} ${options.layout}`,
  })
  const headers: Record<string, string> =
    options.layout === 'many-owners'
      ? { authorization: `Bearer ${benchOwnerKey(SEARCHED_OWNER_INDEX)}` }
      : {}
  try {
    const rows: SearchRow[] = []
    for (const scenario of searchScenarios) {
      const response = await fetch(`${ours.baseUrl}${scenario.path}`, { headers })
      const body = await response.text()
      if (response.status !== 200)
        throw new Error(`GET ${scenario.path} answered ${response.status}: ${body.slice(0, 200)}`)
      const parsed = JSON.parse(body) as unknown
      const problem = scenario.check(parsed)
      if (problem) throw new Error(`${scenario.label}: ${problem}`)
      const spec = {
        ...getSpec(ours.baseUrl, scenario.path, config),
        connections: config.searchConnections,
        headers,
      }
      const measured = await measureInterleaved(
        { ours: [ours, spec] },
        config,
        (_, round, result) =>
          progress(
            `search, ${options.store}, ${options.layout}, ${options.messages.toLocaleString('en-US')} messages, ${scenario.key} #${round + 1}: ${describeRound(result)}`,
          ),
      )
      rows.push({
        kind: 'search',
        scenario: scenario.key,
        label: scenario.label,
        store: options.store,
        layout: options.layout,
        messages: options.messages,
        results: resultCount(parsed),
        bodyBytes: Buffer.byteLength(body),
        ...measured,
      })
    }
    return rows
  } finally {
    await ours.stop()
  }
}

/**
 * Grows one layout's store through `scales` (messages, ascending), seeding with `seed` and
 * measuring at each.
 */
async function runLayout(
  context: Context,
  options: {
    store: SearchRow['store']
    layout: SearchLayout
    scales: readonly number[]
    dataDir: string
    env: Record<string, string>
    seed: (range: { from: number; to: number }) => Promise<SeedReport>
    seeding: SearchSeeding[]
  },
): Promise<SearchRow[]> {
  // The server migrates its store first; the seed then only fills the tables it made.
  await (
    await startOurServer({
      main: context.main,
      dataDir: options.dataDir,
      logDir: context.logDir,
      env: serverEnv(context, options.layout, options.env),
      role: `search migrate ${options.store}`,
    })
  ).stop()
  const rows: SearchRow[] = []
  let sessions = 0
  for (const messages of options.scales) {
    const to = Math.ceil(messages / MESSAGES_PER_SESSION)
    const report = await options.seed({ from: sessions, to })
    sessions = to
    options.seeding.push({ ...report, store: options.store, layout: options.layout, messages })
    progress(
      `search, ${options.store}, ${options.layout}: seeded ${report.messages.toLocaleString('en-US')} messages in ${(report.ms / 1000).toFixed(1)} s (store: ${(to * MESSAGES_PER_SESSION).toLocaleString('en-US')})`,
    )
    rows.push(
      ...(await measureScale(context, {
        store: options.store,
        layout: options.layout,
        messages: to * MESSAGES_PER_SESSION,
        dataDir: options.dataDir,
        env: options.env,
      })),
    )
  }
  return rows
}

/**
 * Every search row: SQLite at `config.searchScales`, then PostgreSQL (embedded, one database
 * per layout) at `config.searchPgScales`. Every store is deleted at the end, also when a step
 * fails.
 *
 * @example
 * ```ts
 * const { rows } = await runSearch({ config, main, workDir, logDir })
 * ```
 */
export async function runSearch(options: {
  config: BenchConfig
  main: string
  workDir: string
  logDir: string
}): Promise<SearchResults> {
  const { config } = options
  const context: Context = { ...options, keysFile: join(options.workDir, 'search-keys.json') }
  writeKeysFile(context.keysFile)
  const newest = Date.now() - 60_000
  const rows: SearchRow[] = []
  const seeding: SearchSeeding[] = []
  progress(
    `search: ${SEARCH_OWNERS.toLocaleString('en-US')} owners in the many-owners layout; ${config.searchConnections} connection(s)`,
  )
  for (const layout of LAYOUTS) {
    if (config.searchScales.length === 0) break
    const dataDir = join(options.workDir, `data-search-${layout}`)
    const dbPath = join(dataDir, 'uxmate.sqlite')
    try {
      rows.push(
        ...(await runLayout(context, {
          store: 'SQLite',
          layout,
          scales: config.searchScales,
          dataDir,
          env: {},
          seed: async (range) => seedSearchSqlite(dbPath, { ...range, newest, layout }),
          seeding,
        })),
      )
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  if (config.searchPgScales.length === 0) return { rows, seeding }

  progress('search: starting an embedded PostgreSQL')
  const postgres = await startEmbeddedPostgres({ settings: { shared_buffers: '256MB' } })
  try {
    for (const layout of LAYOUTS) {
      const databaseUrl = await postgres.createDatabase(`search_${layout.replace('-', '_')}`)
      const dataDir = join(options.workDir, `data-search-pg-${layout}`)
      mkdirSync(dataDir, { recursive: true })
      try {
        rows.push(
          ...(await runLayout(context, {
            store: 'PostgreSQL',
            layout,
            scales: config.searchPgScales,
            dataDir,
            env: { DATABASE_URL: databaseUrl },
            seed: (range) => seedSearchPostgres(databaseUrl, { ...range, newest, layout }),
            seeding,
          })),
        )
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  } finally {
    await postgres.stop()
    progress('search: PostgreSQL stopped and deleted')
  }
  return { rows, seeding }
}
